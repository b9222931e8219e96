import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { emailSchemaForDomain, type EmailConfig } from "../email/schema";
import { activeVolumeName } from "../snapshots/restore";
import type { VerifyOptions } from "./checklist";

/** Bad input from the command line or the stack file: one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface CliOptions {
  verify: VerifyOptions;
  json: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run verify -- (--stack <name> | --domain <domain> | --url <https://...>) [options]

  --stack <name>        read docstown:domain and docstown:email from Pulumi.<name>.yaml in the cwd
  --domain <domain>     domain to check (overrides the stack's)
  --url <https://...>   public base URL (default https://<domain>/)
  --resolver <ip:port>  DNS server to ask (default: the system's)
  --timeout-ms <n>      time budget per check (default 10000)
  --min-cert-days <n>   fail when the certificate expires sooner (default 14)
  --health-url <url>    also require 200 from this deeper health URL
  --sentry-dsn <dsn>    report a check-in and failures to Sentry (default: $SENTRY_DSN)
  --ca-file <pem>       extra trusted CA certificate(s)
  --connect-host <ip>   connect here instead of resolving the domain (SNI/Host stay the domain)
  --https-port <n>      HTTPS port to connect to (default 443)
  --http-port <n>       plain HTTP port to connect to (default 80)
  --snapshot-max-age-hours <n>  with --stack on digitalocean: fail when the repos volume's newest
                        automatic snapshot is older (default 26; needs DIGITALOCEAN_TOKEN, else skipped)
  --json                print the report as JSON
  --help                show this help`;

const VALUE_FLAGS = [
  "stack", "domain", "url", "resolver", "timeout-ms", "min-cert-days", "health-url",
  "sentry-dsn", "ca-file", "connect-host", "https-port", "http-port", "snapshot-max-age-hours",
] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
const BOOLEAN_FLAGS = ["json", "help"] as const;

// "localhost" too: the local stack's domain, checked with --connect-host and its ports.
const DOMAIN = /^(?:localhost|(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62})$/i;

/** Splits argv into flag values; rejects unknown, repeated and value-less flags. */
function readFlags(argv: readonly string[]): { values: Partial<Record<ValueFlag, string>>; booleans: Set<string> } {
  const values: Partial<Record<ValueFlag, string>> = {};
  const booleans = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new UsageError(`unexpected argument "${arg}" (flags start with --; see --help)`);
    const name = match[1] ?? "";
    if ((BOOLEAN_FLAGS as readonly string[]).includes(name)) {
      if (match[2] !== undefined) throw new UsageError(`--${name} takes no value`);
      booleans.add(name);
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(name)) throw new UsageError(`unknown flag --${name} (see --help)`);
    const flag = name as ValueFlag;
    if (values[flag] !== undefined) throw new UsageError(`--${flag} given twice`);
    const value = match[2] ?? argv[++i];
    if (value === undefined || (match[2] === undefined && value.startsWith("--"))) throw new UsageError(`--${flag} needs a value`);
    values[flag] = value;
  }
  return { values, booleans };
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`--${flag}: must be an integer from ${min} to ${max} (got "${value}")`);
  return n;
}

function url(flag: string, value: string, protocols: string[]): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !protocols.includes(parsed.protocol)) {
    const wanted = protocols.map((p) => `${p}//`).join(" or ");
    throw new UsageError(`--${flag}: must be an ${wanted} URL (got "${value}")`);
  }
  return parsed.href;
}

/** "1.1.1.1", "127.0.0.1:5353", "::1" or "[::1]:5353", as dns.Resolver#setServers takes them. */
function resolver(value: string): string {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const v4 = /^([^:]+)(?::(\d+))?$/.exec(value);
  const [ip, port] = v6 ? [v6[1], v6[2]] : v4 ? [v4[1], v4[2]] : [value, undefined];
  if (!ip || !isIP(ip) || (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535))) {
    throw new UsageError(`--resolver: must be an IP address with an optional port, like 1.1.1.1 or 127.0.0.1:5353 (got "${value}")`);
  }
  return value;
}

function dsn(source: string, value: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || !parsed.username || !/^\/(.*\/)?\d+$/.test(parsed.pathname)) {
    throw new UsageError(`${source}: must be a Sentry DSN like https://<public key>@<host>/<project id>`);
  }
  return value;
}

function caFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`--ca-file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new UsageError(`--ca-file: ${path} holds no PEM certificate`);
  return pem;
}

/** docstown:domain and docstown:email from Pulumi.<stack>.yaml, validated like the program does. */
export function readStack(stack: string, cwd: string): { domain: string; email?: EmailConfig; volume?: { volumeName: string; region: string } } {
  if (!/^[\w.-]+$/.test(stack)) throw new UsageError(`--stack: "${stack}" is not a stack name`);
  const file = `Pulumi.${stack}.yaml`;
  let text: string;
  try {
    text = readFileSync(join(cwd, file), "utf8");
  } catch {
    throw new UsageError(`--stack ${stack}: ${file} not found in ${cwd}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid YAML (${(error as Error).message.split("\n")[0]})`);
  }
  const config = (document as { config?: Record<string, unknown> } | null)?.config ?? {};
  const domain = config["docstown:domain"];
  if (typeof domain !== "string" || !DOMAIN.test(domain)) {
    throw new UsageError(`${file}: docstown:domain must be set to a domain name like docstown.org`);
  }
  const volume = stackVolume(config);
  const base = volume === undefined ? { domain } : { domain, volume };
  if (config["docstown:email"] === undefined) return base;
  const parsed = emailSchemaForDomain(domain).safeParse(config["docstown:email"]);
  if (parsed.success) return { ...base, email: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    return `docstown:email${key}: ${issue.message}`;
  });
  throw new UsageError(`${file}: ${problems.join("; ")}`);
}

/** The volume a digitalocean stack mounts (the restored one while a restore is configured). */
function stackVolume(config: Record<string, unknown>): { volumeName: string; region: string } | undefined {
  const region = config["docstown:region"];
  if (config["docstown:target"] !== "digitalocean" || typeof region !== "string") return undefined;
  const raw = config["docstown:volume"];
  const volume = (typeof raw === "object" && raw !== null ? raw : {}) as { name?: unknown; sizeGb?: unknown; restoreFromSnapshot?: unknown };
  const name = typeof volume.name === "string" ? volume.name : "docstown-repos";
  const restore = typeof volume.restoreFromSnapshot === "string" ? volume.restoreFromSnapshot : undefined;
  return { volumeName: activeVolumeName({ name, sizeGb: 0, restoreFromSnapshot: restore }), region };
}

/** Turns argv (after `--`) plus SENTRY_DSN into runVerify options; throws UsageError. */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): CliOptions {
  const { values, booleans } = readFlags(argv);
  const help = booleans.has("help");
  const verify: VerifyOptions = {};
  const cli: CliOptions = { verify, json: booleans.has("json"), help };
  if (help) return cli;

  if (values.stack !== undefined) {
    const stack = readStack(values.stack, cwd);
    verify.stack = values.stack;
    verify.domain = stack.domain;
    if (stack.email) verify.email = stack.email;
    if (stack.volume) verify.snapshots = stack.volume;
  }
  if (values.domain !== undefined) {
    if (!DOMAIN.test(values.domain)) throw new UsageError(`--domain: must be a domain name like docstown.org (got "${values.domain}")`);
    verify.domain = values.domain.toLowerCase();
  }
  if (values.url !== undefined) verify.url = url("url", values.url, ["https:"]);
  if (!verify.domain && !verify.url) throw new UsageError("one of --stack, --domain or --url is required (see --help)");

  if (values.resolver !== undefined) verify.resolver = resolver(values.resolver);
  if (values["timeout-ms"] !== undefined) verify.timeoutMs = integer("timeout-ms", values["timeout-ms"], 1, 600_000);
  if (values["min-cert-days"] !== undefined) verify.minCertDays = integer("min-cert-days", values["min-cert-days"], 0, 3650);
  if (values["health-url"] !== undefined) verify.healthUrl = url("health-url", values["health-url"], ["https:", "http:"]);
  if (values["sentry-dsn"] !== undefined) verify.sentryDsn = dsn("--sentry-dsn", values["sentry-dsn"]);
  else if (env["SENTRY_DSN"]) verify.sentryDsn = dsn("SENTRY_DSN", env["SENTRY_DSN"]);
  if (values["ca-file"] !== undefined) verify.ca = [caFile(values["ca-file"])];
  if (values["connect-host"] !== undefined) {
    const host = values["connect-host"];
    if (!isIP(host) && !DOMAIN.test(host)) throw new UsageError(`--connect-host: must be an IP address or host name (got "${host}")`);
    verify.connectHost = host;
  }
  if (values["https-port"] !== undefined) verify.httpsPort = integer("https-port", values["https-port"], 1, 65535);
  if (values["http-port"] !== undefined) verify.httpPort = integer("http-port", values["http-port"], 1, 65535);
  if (values["snapshot-max-age-hours"] !== undefined) {
    if (verify.snapshots === undefined) throw new UsageError("--snapshot-max-age-hours: needs --stack <name> of a digitalocean stack");
    verify.snapshots = { ...verify.snapshots, maxAgeHours: integer("snapshot-max-age-hours", values["snapshot-max-age-hours"], 1, 24 * 365) };
  }
  return cli;
}
