import { Resolver } from "node:dns/promises";
import { parseDmarc } from "../email/dmarc";
import { emailDnsRecords, type EmailDnsRecord } from "../email/records";
import type { EmailConfig } from "../email/schema";
import { parseSpf, spfIncludes } from "../email/spf";
import { describeError, fail, pass, skip, withDeadline, type CheckResult } from "./check";

export interface DnsSettings {
  /** "ip" or "ip:port" ("[v6]:port"); the system resolvers when absent. */
  server?: string;
  timeoutMs: number;
}

/** A resolver per check, so cancelling one check's queries on timeout leaves the others alone. */
function resolverFor(settings: DnsSettings): Resolver {
  const resolver = new Resolver({ timeout: settings.timeoutMs, tries: 1 });
  if (settings.server) resolver.setServers([settings.server]);
  return resolver;
}

async function timed<T>(settings: DnsSettings, what: string, work: (r: Resolver) => Promise<T>): Promise<T> {
  const resolver = resolverFor(settings);
  return withDeadline(work(resolver), settings.timeoutMs, what, () => resolver.cancel());
}

function dnsProblem(error: unknown, type: string, name: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENODATA") return `no ${type} record at ${name}`;
  if (code === "ENOTFOUND") return `${name} does not exist (NXDOMAIN)`;
  return `${type} ${name}: ${describeError(error)}`;
}

const bare = (name: string) => name.toLowerCase().replace(/\.$/, "");

/** Check 5a: the apex has an address at all. */
export async function checkApex(settings: DnsSettings, domain: string): Promise<CheckResult> {
  const name = "DNS apex A/AAAA";
  try {
    const [v4, v6] = await timed(settings, `A/AAAA ${domain}`, (r) =>
      Promise.allSettled([r.resolve4(domain), r.resolve6(domain)]),
    );
    const addresses = [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
    if (addresses.length > 0) return pass("dns-apex", name, `${domain} → ${addresses.join(", ")}`);
    const reason = v4.status === "rejected" ? v4.reason : v6.status === "rejected" ? v6.reason : undefined;
    return fail("dns-apex", name, reason ? dnsProblem(reason, "A/AAAA", domain) : `no A or AAAA record at ${domain}`);
  } catch (error) {
    return fail("dns-apex", name, describeError(error));
  }
}

async function txt(r: Resolver, name: string): Promise<string[]> {
  return (await r.resolveTxt(name)).map((chunks) => chunks.join(""));
}

/** Why `record` is not published as expected, or undefined when it is. */
async function recordProblem(r: Resolver, record: EmailDnsRecord): Promise<string | undefined> {
  try {
    if (record.type === "CNAME") {
      const targets = (await r.resolveCname(record.name)).map(bare);
      if (targets.includes(bare(record.content))) return undefined;
      return `${record.name} CNAME is ${targets.join(", ")}, expected ${record.content}`;
    }
    if (record.type === "MX") {
      const mx = await r.resolveMx(record.name);
      if (mx.some((m) => bare(m.exchange) === bare(record.content) && m.priority === record.priority)) return undefined;
      return `${record.name} MX is ${mx.map((m) => `${m.priority} ${m.exchange}`).join(", ")}, expected ${record.priority} ${record.content}`;
    }
    const values = await txt(r, record.name);
    const wanted = normalizeTxt(record.content);
    if (values.some((v) => normalizeTxt(v) === wanted)) return undefined;
    return `${record.name} has no TXT "${record.content.slice(0, 40)}${record.content.length > 40 ? "…" : ""}"`;
  } catch (error) {
    return dnsProblem(error, record.type, record.name);
  }
}

// DKIM and SPF values are tag lists: spacing around ';' carries no meaning.
const normalizeTxt = (value: string) => value.trim().replace(/\s*;\s*/g, ";").replace(/\s+/g, " ");

async function checkRecords(settings: DnsSettings, id: string, name: string, records: EmailDnsRecord[]): Promise<CheckResult> {
  try {
    const problems = await timed(settings, name, (r) => Promise.all(records.map((record) => recordProblem(r, record))));
    const found = problems.filter((p): p is string => p !== undefined);
    if (found.length > 0) return fail(id, name, found.join("; "));
    return pass(id, name, records.map((r) => `${r.type} ${r.name}`).join(", "));
  } catch (error) {
    return fail(id, name, describeError(error));
  }
}

async function checkSpf(settings: DnsSettings, record: EmailDnsRecord): Promise<CheckResult> {
  const name = "SPF";
  try {
    const spf = parseSpf(await timed(settings, `TXT ${record.name}`, (r) => txt(r, record.name)));
    const live = new Set(spfIncludes(spf));
    // With no single record to read, "include missing" would only repeat the real problem.
    const wanted = spf.record === undefined ? [] : spfIncludes(parseSpf(record.content));
    const missing = wanted
      .filter((d) => !live.has(d))
      .map((d) => `include:${d} is missing`);
    const problems = [...spf.problems, ...missing];
    if (problems.length > 0) return fail("dns-spf", name, `${record.name}: ${problems.join("; ")}`);
    return pass("dns-spf", name, `${record.name}: ${spf.record ?? ""} (${spf.lookups} lookups)`);
  } catch (error) {
    return fail("dns-spf", name, dnsProblem(error, "TXT", record.name));
  }
}

async function checkDmarc(settings: DnsSettings, record: EmailDnsRecord, email: EmailConfig): Promise<CheckResult> {
  const name = "DMARC";
  try {
    const values = await timed(settings, `TXT ${record.name}`, (r) => txt(r, record.name));
    const expect = email.dmarc.reportEmail
      ? { policy: email.dmarc.policy, reportEmail: email.dmarc.reportEmail }
      : { policy: email.dmarc.policy };
    const dmarc = parseDmarc(values, expect);
    if (!dmarc.ok) return fail("dns-dmarc", name, `${record.name}: ${dmarc.problems.join("; ")}`);
    return pass("dns-dmarc", name, `${record.name}: ${dmarc.record ?? ""}`);
  } catch (error) {
    return fail("dns-dmarc", name, dnsProblem(error, "TXT", record.name));
  }
}

/** Check 5b: the provider's records, SPF and DMARC, as emailDnsRecords says they must be. */
export async function checkEmailDns(settings: DnsSettings, domain: string, email: EmailConfig | undefined): Promise<CheckResult[]> {
  if (!email) return [skip("email-dns", "Email DNS", "not configured (no docstown:email): SPF, DKIM and DMARC not checked")];
  let records: EmailDnsRecord[];
  try {
    records = emailDnsRecords(domain, email);
  } catch (error) {
    // e.g. --domain pointed at another site than the stack's mailerFrom lives in.
    return [fail("email-dns", "Email DNS", describeError(error))];
  }
  const of = (...purposes: EmailDnsRecord["purpose"][]) => records.filter((r) => purposes.includes(r.purpose));
  const [spf] = of("spf");
  const [dmarc] = of("dmarc");
  const bounce = of("return-path", "mail-from", "brand");
  const checks: Promise<CheckResult>[] = [];
  if (spf) checks.push(checkSpf(settings, spf));
  checks.push(checkRecords(settings, "dns-dkim", `DKIM (${email.provider})`, of("dkim")));
  if (bounce.length > 0) checks.push(checkRecords(settings, "dns-bounce", `Bounce/brand records (${email.provider})`, bounce));
  if (dmarc) checks.push(checkDmarc(settings, dmarc, email));
  return Promise.all(checks);
}
