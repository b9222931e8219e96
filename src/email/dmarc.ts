/**
 * DMARC (RFC 7489) checks shared by the record tests and `npm run verify`.
 */

export const DMARC_POLICIES = ["none", "quarantine", "reject"] as const;
export type DmarcPolicy = (typeof DMARC_POLICIES)[number];

export interface DmarcExpectation {
  /** When set, rua= must contain mailto:<reportEmail>. */
  reportEmail?: string;
  /** When set, p= must be exactly this policy. */
  policy?: DmarcPolicy;
}

export interface DmarcResult {
  ok: boolean;
  problems: string[];
  /** Tag names lower-cased, values trimmed. */
  tags: Record<string, string>;
  policy?: DmarcPolicy;
  /** rua= URIs. */
  reportUris: string[];
  record?: string;
}

const isPolicy = (v: string | undefined): v is DmarcPolicy => (DMARC_POLICIES as readonly string[]).includes(v ?? "");
const isDmarc = (txt: string) => /^v\s*=\s*DMARC1\s*(;|$)/.test(txt.trim());

/**
 * Parses one DMARC record, or picks it out of every TXT string at `_dmarc.<domain>`: receivers
 * apply no policy at all when there are several (RFC 7489 §6.6.3), so that is a problem too.
 */
export function parseDmarc(value: string | readonly string[], expect: DmarcExpectation = {}): DmarcResult {
  if (typeof value !== "string") {
    const dmarc = value.filter(isDmarc);
    if (dmarc.length === 0) return failed("no DMARC record (a TXT record starting with v=DMARC1)");
    if (dmarc.length > 1) return failed(`${dmarc.length} DMARC records published; receivers ignore all of them`);
    return parseDmarc(dmarc[0] ?? "", expect);
  }

  const problems: string[] = [];
  const tags: Record<string, string> = {};
  const parts = value.split(";").map((p) => p.trim()).filter(Boolean);
  for (const [i, part] of parts.entries()) {
    const tag = /^([a-z]+)\s*=\s*(.*)$/i.exec(part);
    if (!tag) {
      problems.push(`malformed tag "${part}" (expected name=value)`);
      continue;
    }
    const name = (tag[1] ?? "").toLowerCase();
    if (i === 0 && (name !== "v" || tag[2] !== "DMARC1")) problems.push("must start with v=DMARC1");
    tags[name] = (tag[2] ?? "").trim();
  }
  if (parts.length === 0) problems.push("must start with v=DMARC1");

  const policy = tags["p"];
  if (policy === undefined) problems.push("missing p= (policy)");
  else if (!isPolicy(policy)) problems.push(`p=${policy} is not a policy; must be one of ${DMARC_POLICIES.join(", ")}`);
  if (tags["sp"] !== undefined && !isPolicy(tags["sp"])) problems.push(`sp=${tags["sp"]} must be one of ${DMARC_POLICIES.join(", ")}`);
  for (const name of ["adkim", "aspf"]) {
    if (tags[name] !== undefined && !/^[rs]$/.test(tags[name] ?? "")) problems.push(`${name}=${tags[name]} must be r or s`);
  }
  if (tags["pct"] !== undefined && !/^(100|[1-9]?\d)$/.test(tags["pct"] ?? "")) problems.push(`pct=${tags["pct"]} must be 0-100`);

  const reportUris = uris(tags["rua"]);
  const badUri = reportUris.find((u) => !/^mailto:[^\s@]+@[^\s@]+$/i.test(u.replace(/!\d+[kmgt]?$/i, "")));
  if (badUri) problems.push(`rua entry "${badUri}" must be mailto:<address>`);

  if (expect.policy && isPolicy(policy) && policy !== expect.policy) {
    problems.push(`p=${policy} but the configured policy is ${expect.policy}`);
  }
  if (expect.reportEmail) {
    const wanted = `mailto:${expect.reportEmail}`.toLowerCase();
    if (!reportUris.some((u) => u.toLowerCase().replace(/!\d+[kmgt]?$/, "") === wanted)) {
      problems.push(`rua= must include mailto:${expect.reportEmail}`);
    }
  }

  const result: DmarcResult = { ok: problems.length === 0, problems, tags, reportUris, record: value.trim() };
  if (isPolicy(policy)) result.policy = policy;
  return result;
}

function uris(list: string | undefined): string[] {
  return (list ?? "").split(",").map((u) => u.trim()).filter(Boolean);
}

function failed(problem: string): DmarcResult {
  return { ok: false, problems: [problem], tags: {}, reportUris: [] };
}
