import { isDeepStrictEqual } from "node:util";

/** The parts of a synth JSON document a comparison needs. */
export interface GraphDocument {
  resources: { urn: string; inputs: unknown; options: unknown }[];
}

export interface GraphChange {
  urn: string;
  kind: "added" | "removed" | "changed";
  /** Top-level inputs (or `options.<name>`) that differ, for changed resources. */
  keys: string[];
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
    if (keys.length > 0) changes.push({ urn, kind: "changed", keys });
  }
  for (const urn of old.keys()) if (!now.has(urn)) changes.push({ urn, kind: "removed", keys: [] });
  return changes.sort((a, b) => a.urn.localeCompare(b.urn));
}

export function formatChanges(changes: readonly GraphChange[]): string {
  if (changes.length === 0) return "no declared change";
  const sign = { added: "+", removed: "-", changed: "~" } as const;
  return changes.map((c) => `${sign[c.kind]} ${c.urn.split("::").slice(2).join("::")}${c.keys.length ? `  (${c.keys.join(", ")})` : ""}`).join("\n");
}
