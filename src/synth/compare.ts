import { isDeepStrictEqual } from "node:util";
import { REPLACEMENT_RULES } from "../../policies/replacement";

/** The parts of a synth JSON document a comparison needs. */
export interface GraphDocument {
  resources: { urn: string; type?: string; inputs: unknown; options: unknown; propertyDependencies?: Record<string, string[]> }[];
}

/** How a changed resource is replaced, for the types whose replacing inputs the pack lists. */
export interface Replacement {
  /** `options.deleteBeforeReplace` of the new render: create first (Pulumi's default) or delete first. */
  order: "create-first" | "delete-first";
  /** The changed inputs that force it (policies/replacement.ts). */
  forcedBy: string[];
  /** The unique name it is created under, when it stays the same: create-first, the provider refuses it. */
  sameName?: string;
}

export interface GraphChange {
  urn: string;
  kind: "added" | "removed" | "changed";
  /** Top-level inputs (or `options.<name>`) that differ, for changed resources. */
  keys: string[];
  replace?: Replacement;
  /**
   * Inputs whose value comes from a resource replaced here (its new id, name or URL), by input:
   * they change with it even where this render cannot show it (a secret URL reads "[secret]").
   */
  from?: Record<string, string[]>;
}

/** The resource type of a URN (`...::parent$type::name` -> `type`). */
function typeOfUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.slice(qualified.lastIndexOf("$") + 1);
}

function replacementOf(type: string, keys: readonly string[], before: Record<string, unknown>, after: Record<string, unknown>, options: Record<string, unknown>): Replacement | undefined {
  const rule = REPLACEMENT_RULES[type];
  if (rule === undefined) return undefined;
  const forcedBy = keys.filter((k) => rule.forcesReplacement.includes(k));
  if (forcedBy.length === 0) return undefined;
  const order = options["deleteBeforeReplace"] === true ? "delete-first" : "create-first";
  const unique = rule.uniqueName?.input;
  const name = unique === undefined ? undefined : after[unique];
  const sameName = unique !== undefined && typeof name === "string" && isDeepStrictEqual(before[unique], name) ? name : undefined;
  return { order, forcedBy, ...(sameName !== undefined ? { sameName } : {}) };
}

function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => !isDeepStrictEqual(before[k], after[k])).sort();
}

/**
 * What differs between two renders of the same stack, resource by resource. Not a `pulumi
 * preview` (no state, no provider diff): it tells which declared inputs a config change touches.
 * Secret values are compared as "[secret]", so a rotated secret shows no change here.
 */
export function compareGraphs(before: GraphDocument, after: GraphDocument): GraphChange[] {
  const old = new Map(before.resources.map((r) => [r.urn, r]));
  const now = new Map(after.resources.map((r) => [r.urn, r]));
  const changes: GraphChange[] = [];
  for (const [urn, r] of now) {
    const prev = old.get(urn);
    if (prev === undefined) {
      changes.push({ urn, kind: "added", keys: [] });
      continue;
    }
    const keys = [
      ...changedKeys(prev.inputs as Record<string, unknown>, r.inputs as Record<string, unknown>),
      ...changedKeys(prev.options as Record<string, unknown>, r.options as Record<string, unknown>).map((k) => `options.${k}`),
    ];
    if (keys.length === 0) continue;
    const replace = replacementOf(
      r.type ?? typeOfUrn(urn), keys,
      prev.inputs as Record<string, unknown>, r.inputs as Record<string, unknown>, r.options as Record<string, unknown>,
    );
    changes.push({ urn, kind: "changed", keys, ...(replace !== undefined ? { replace } : {}) });
  }
  for (const urn of old.keys()) if (!now.has(urn)) changes.push({ urn, kind: "removed", keys: [] });
  followReplacements(changes, after);
  return changes.sort((a, b) => a.urn.localeCompare(b.urn));
}

/**
 * Marks the inputs fed by resources this comparison shows replaced (one step: what those inputs
 * then do to their own resource is its provider's call), adding the resources they belong to.
 */
function followReplacements(changes: GraphChange[], after: GraphDocument): void {
  const byUrn = new Map(changes.map((c) => [c.urn, c]));
  const replaced = new Set(changes.filter((c) => c.replace !== undefined).map((c) => c.urn));
  if (replaced.size === 0) return;
  for (const r of after.resources) {
    const fed: Record<string, string[]> = {};
    for (const [input, sources] of Object.entries(r.propertyDependencies ?? {})) {
      const hit = sources.filter((s) => replaced.has(s)).sort();
      if (hit.length > 0) fed[input] = hit;
    }
    if (Object.keys(fed).length === 0) continue;
    const change = byUrn.get(r.urn);
    if (change !== undefined) change.from = fed;
    else changes.push({ urn: r.urn, kind: "changed", keys: [], from: fed });
  }
}

export function formatChanges(changes: readonly GraphChange[]): string {
  if (changes.length === 0) return "no declared change";
  const sign = { added: "+", removed: "-", changed: "~" } as const;
  const replacement = (r: Replacement | undefined): string => {
    if (r === undefined) return "";
    if (r.order === "delete-first") return "  replaced: delete first";
    return r.sameName === undefined ? "  replaced: create first, new name" : `  replaced: create first under the same name ${JSON.stringify(r.sameName)}, which the provider refuses`;
  };
  const fedBy = (from: GraphChange["from"]): string =>
    from === undefined
      ? ""
      : Object.entries(from)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([input, urns]) => `  ${input} from replaced ${urns.map((u) => u.slice(u.lastIndexOf("::") + 2)).join(", ")}`)
          .join("");
  return changes
    .map((c) => `${sign[c.kind]} ${c.urn.split("::").slice(2).join("::")}${c.keys.length ? `  (${c.keys.join(", ")})` : ""}${replacement(c.replace)}${fedBy(c.from)}`)
    .join("\n");
}
