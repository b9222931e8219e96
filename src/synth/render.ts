import type { RecordedResource, SynthResult } from "./recorder";

export const SECRET_MARK = "[secret]";

/** Splits `a.b[3].c` into ["a", "b", 3, "c"]. */
export function parsePath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const segment of path.split(".")) {
    const match = /^([^[\]]*)((\[\d+\])*)$/.exec(segment);
    if (!match) {
      parts.push(segment);
      continue;
    }
    if (match[1]) parts.push(match[1]);
    for (const idx of (match[2] ?? "").matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  return parts;
}

/** A deep copy of `value` with every secret path replaced by "[secret]". */
export function redact<T>(value: T, secretPaths: readonly string[]): T {
  if (secretPaths.includes("$")) return SECRET_MARK as T;
  const copy = structuredClone(value) as unknown;
  for (const path of secretPaths) {
    const parts = parsePath(path);
    let node = copy as Record<string | number, unknown> | undefined;
    for (const [i, part] of parts.entries()) {
      if (node === undefined || node === null || typeof node !== "object") break;
      if (i === parts.length - 1) {
        const current = node[part];
        // An env entry keeps its name, so a reviewer still sees which variable is set.
        const envName = typeof current === "string" ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(current)?.[1] : undefined;
        if (part in node) node[part] = envName === undefined ? SECRET_MARK : `${envName}=${SECRET_MARK}`;
      } else {
        node = node[part] as Record<string | number, unknown> | undefined;
      }
    }
  }
  return copy as T;
}

export interface Violation {
  policy: string;
  enforcementLevel: string;
  urn?: string;
  message: string;
}

/** The `--json` document: secrets rendered as "[secret]". */
export interface SynthDocument {
  project: string;
  stack: string;
  resources: {
    urn: string; type: string; name: string; id: string | null; custom: boolean;
    parent: string | null; provider: string | null; inputs: Record<string, unknown>; options: RecordedResource["options"];
    /** Input -> the resources its value comes from (what a replacement of one of them changes). */
    propertyDependencies: Record<string, string[]>;
  }[];
  outputs: Record<string, unknown>;
  violations: readonly Violation[];
}

export function toJson(result: SynthResult, violations: readonly Violation[]): SynthDocument {
  return {
    project: result.project,
    stack: result.stack,
    resources: result.resources.map((r) => ({
      urn: r.urn, type: r.type, name: r.name, id: r.id ?? null, custom: r.custom,
      parent: r.parent ?? null, provider: r.provider ?? null,
      inputs: redact(r.inputs, r.secretPaths), options: r.options, propertyDependencies: r.propertyDependencies,
    })),
    outputs: redact(result.outputs, result.outputSecretPaths),
    violations,
  };
}

function shortType(type: string): string {
  const [pkg, , name] = type.split(":");
  return name ? `${pkg}:${name}` : type;
}

const str = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));

/** The few facts an operator looks for in each kind of resource. */
export function facts(r: RecordedResource): string {
  const i = redact(r.inputs, r.secretPaths);
  const bits: string[] = [];
  const add = (label: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== "") bits.push(`${label}=${str(v)}`);
  };
  switch (r.type) {
    case "digitalocean:index/droplet:Droplet": add("size", i["size"]); add("image", i["image"]); add("region", i["region"]); add("monitoring", i["monitoring"]); break;
    case "digitalocean:index/volume:Volume": add("size", `${str(i["size"])}GB`); add("fs", i["initialFilesystemType"]); break;
    case "digitalocean:index/databaseCluster:DatabaseCluster": add("pg", i["version"]); add("size", i["size"]); add("nodes", i["nodeCount"]); break;
    case "docker:index/container:Container": {
      const labels = (i["labels"] as { label: string; value: string }[] | undefined) ?? [];
      add("role", labels.find((l) => l.label === "docstown.role")?.value);
      add("image", str(i["image"]).replace(/@sha256:([0-9a-f]{12})[0-9a-f]+/, "@sha256:$1…"));
      const ports = (i["ports"] as { external?: number; internal: number }[] | undefined) ?? [];
      if (ports.length > 0) add("ports", ports.map((p) => `${p.external ?? ""}:${p.internal}`).join(","));
      break;
    }
    case "cloudflare:index/dnsRecord:DnsRecord": add("type", i["type"]); add("name", i["name"]); add("content", i["content"]); add("proxied", i["proxied"]); break;
    case "cloudflare:index/zoneSetting:ZoneSetting": add(str(i["settingId"]), i["value"]); break;
    default: break;
  }
  if (r.options.protect) bits.push("protected");
  if (r.options.deleteBeforeReplace) bits.push("delete-before-replace");
  if (r.options.dependsOn.length > 0) bits.push(`after=${r.options.dependsOn.map((u) => u.split("::").pop()).join(",")}`);
  return bits.join(" ");
}

/** The human-readable report: resources, outputs, then policy results. */
export function toTable(result: SynthResult, violations: readonly Violation[]): string {
  const rows = result.resources.filter((r) => !r.type.startsWith("pulumi:")).map((r) => [shortType(r.type), r.name, facts(r)]);
  const widths = [0, 1].map((c) => Math.max(...rows.map((row) => (row[c] ?? "").length), 4));
  const lines = [`${result.project}/${result.stack}: ${rows.length} resources`, ""];
  lines.push(`${"TYPE".padEnd(widths[0] ?? 4)}  ${"NAME".padEnd(widths[1] ?? 4)}  FACTS`);
  for (const [type = "", name = "", fact = ""] of rows) lines.push(`${type.padEnd(widths[0] ?? 4)}  ${name.padEnd(widths[1] ?? 4)}  ${fact}`);
  lines.push("", "Outputs:");
  for (const [k, v] of Object.entries(redact(result.outputs, result.outputSecretPaths))) lines.push(`  ${k}: ${str(v)}`);
  lines.push("", "Policies:");
  if (!violations.some((v) => v.enforcementLevel === "mandatory")) lines.push("  ✔ no mandatory violations");
  for (const v of violations) lines.push(`  ${v.enforcementLevel === "mandatory" ? "✘" : "!"} [${v.enforcementLevel}] ${v.policy}: ${v.message}`);
  return lines.join("\n");
}
