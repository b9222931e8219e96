/**
 * SPF (RFC 7208) checks shared by the record tests and `npm run verify`. Deliberately stricter
 * than the RFC where a looser record would be a mistake for DocsTown: the record must end in
 * ~all or -all, because a missing or permissive `all` lets anyone send as the domain.
 */

export type SpfQualifier = "+" | "-" | "~" | "?";

export interface SpfMechanism {
  qualifier: SpfQualifier;
  /** Lower-cased mechanism name: all, include, a, mx, ptr, ip4, ip6, exists. */
  name: string;
  /** What follows `:` or `/`, if anything. */
  value?: string;
}

export interface SpfResult {
  ok: boolean;
  problems: string[];
  mechanisms: SpfMechanism[];
  modifiers: Record<string, string>;
  /** Terms that cost the receiver a DNS query (RFC 7208 §4.6.4 caps them at 10). */
  lookups: number;
  /** The record that was parsed (the single v=spf1 one when several TXT strings were given). */
  record?: string;
}

export const SPF_LOOKUP_LIMIT = 10;
const LOOKUP_TERMS = new Set(["include", "a", "mx", "ptr", "exists", "redirect"]);
const MECHANISMS = new Set(["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"]);
const NEEDS_VALUE = new Set(["include", "exists", "ip4", "ip6"]);

const isSpf = (txt: string) => /^v=spf1(\s|$)/i.test(txt.trim());

/**
 * Parses one SPF record, or picks the SPF record out of all TXT strings published at a name
 * (receivers fail permanently when there are two, so that is a problem too).
 */
export function parseSpf(value: string | readonly string[]): SpfResult {
  if (typeof value !== "string") {
    const spf = value.filter(isSpf);
    if (spf.length === 0) return failed("no SPF record (a TXT record starting with v=spf1)");
    if (spf.length > 1) return failed(`${spf.length} SPF records published; there must be exactly one (RFC 7208 §4.5)`);
    return parseSpf(spf[0] ?? "");
  }

  const terms = value.trim().split(/\s+/).filter(Boolean);
  const problems: string[] = [];
  const mechanisms: SpfMechanism[] = [];
  const modifiers: Record<string, string> = {};
  let lookups = 0;

  if (terms[0]?.toLowerCase() !== "v=spf1") problems.push("must start with v=spf1");
  const versions = terms.filter((t) => t.toLowerCase() === "v=spf1").length;
  if (versions > 1) problems.push(`v=spf1 appears ${versions} times; a record has exactly one`);

  for (const term of terms) {
    if (term.toLowerCase() === "v=spf1") continue;
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(term);
    if (modifier) {
      const name = (modifier[1] ?? "").toLowerCase();
      modifiers[name] = modifier[2] ?? "";
      if (LOOKUP_TERMS.has(name)) lookups++;
      continue;
    }
    const mechanism = /^([+\-~?]?)([a-z][a-z0-9]*)(?:([:/])(.*))?$/i.exec(term);
    const name = mechanism?.[2]?.toLowerCase() ?? "";
    if (!mechanism || !MECHANISMS.has(name)) {
      problems.push(`unknown term "${term}"`);
      continue;
    }
    const parsed: SpfMechanism = { qualifier: (mechanism[1] || "+") as SpfQualifier, name };
    if (mechanism[4] !== undefined) parsed.value = mechanism[3] === "/" ? `/${mechanism[4]}` : mechanism[4];
    if (NEEDS_VALUE.has(name) && (mechanism[3] !== ":" || !mechanism[4])) problems.push(`"${term}" needs ${name}:<value>`);
    if (LOOKUP_TERMS.has(name)) lookups++;
    mechanisms.push(parsed);
  }

  if (lookups > SPF_LOOKUP_LIMIT) {
    problems.push(`${lookups} DNS-lookup terms (include, a, mx, ptr, exists, redirect); at most ${SPF_LOOKUP_LIMIT} are allowed`);
  }
  problems.push(...allProblems(mechanisms));
  return { ok: problems.length === 0, problems, mechanisms, modifiers, lookups, record: value.trim() };
}

function allProblems(mechanisms: readonly SpfMechanism[]): string[] {
  const index = mechanisms.findIndex((m) => m.name === "all");
  const all = mechanisms[index];
  if (!all) return ["must end with ~all or -all (no all mechanism)"];
  const problems: string[] = [];
  if (all.qualifier !== "~" && all.qualifier !== "-") problems.push(`ends with ${all.qualifier}all; must be ~all or -all`);
  if (index !== mechanisms.length - 1) problems.push("terms after all are never evaluated; all must come last");
  return problems;
}

function failed(problem: string): SpfResult {
  return { ok: false, problems: [problem], mechanisms: [], modifiers: {}, lookups: 0 };
}

/** Domains named by include: mechanisms, lower-cased. */
export function spfIncludes(result: SpfResult): string[] {
  return result.mechanisms.filter((m) => m.name === "include" && m.value).map((m) => (m.value ?? "").toLowerCase());
}
