import { maintenancePage } from "./maintenance";

/**
 * The proxy's Caddyfile. Every directive exists in Caddy 2.6 (Debian's, used to validate it in
 * the tests) and in the newer image that runs it.
 *
 * Routing during a deploy: the upstream is Docker's network alias of the web containers,
 * re-resolved every second (`dynamic a`), so a replacement web container is picked up as soon as
 * it exists and the old one is dropped once it is gone. The port is Puma's, not Thruster's:
 * Thruster binds port 80 before Puma has booted and keeps it while Puma drains, answering 502
 * in both windows, whereas Puma refuses connections until it has booted and once it stops. A
 * refused connection is retried on another upstream for any request method (`lb_try_duration`),
 * so requests only ever reach a booted, non-draining Rails. (Caddy before 2.11.2 closes the body
 * of the refused attempt, so its retry of a POST fails: caddyserver/caddy#7546, fixed by #7547;
 * hence the proxy image default. Body buffering is no cure there: its pooled buffer is released on
 * that close and may be handed to another request before the retry reads it.)
 * Passive health: one failed dial (a booting container that does not listen yet, or the address
 * of a container just removed, still cached for up to a second) keeps that upstream out for 3 s,
 * so the other one takes the traffic instead of every request paying a retry. Without
 * `unhealthy_status` the app's own 5xx never count, so the only web container is never pulled
 * for an application error. Active checks are absent: Caddy runs them for static upstreams only.
 * Maintenance: every site block answers the static page itself, 503 with Retry-After and no-store,
 * and there is no `reverse_proxy` at all, so no request can reach a web container, /up included
 * (an uptime check then reports the outage it is).
 * The dial timeout is short because upstreams share a Docker bridge: a live container answers at
 * once, a removed one never does (measured in test/app/zero-downtime.alone.engine.test.ts).
 */

/** A certificate and its key, uploaded beside the Caddyfile (production: the Origin CA certificate). */
export interface CaddyTlsFiles {
  readonly certificateFile: string;
  readonly keyFile: string;
}

/**
 * Where the served certificate comes from: files, or `internal`, Caddy's own local CA, which
 * keeps its root in Caddy's data directory (pki/authorities/local/root.crt) and issues and renews
 * the site's certificate itself (the local stack: nothing to generate or install beforehand).
 */
export type CaddyTls = CaddyTlsFiles | "internal";

export interface CaddyfileOptions {
  /** Host the app is served on. */
  readonly host: string;
  /** Hosts redirected permanently to `host` (www). */
  readonly aliases: readonly string[];
  /** Unprivileged ports Caddy listens on inside its container. */
  readonly listen: { readonly http: number; readonly https: number };
  /** The HTTPS port clients use, for redirect targets (443 is left out of URLs). */
  readonly publicHttpsPort: number;
  readonly tls: CaddyTls;
  /**
   * CA file of authenticated origin pulls: when set, every HTTPS site requires a client
   * certificate signed by it, so only the CDN zone holding that certificate reaches the app.
   * (Plain HTTP only ever answers with a redirect.)
   */
  readonly clientCaFile?: string;
  /** Network alias of the web containers and the port Puma listens on. */
  readonly upstream: { readonly host: string; readonly port: number };
  /** Seconds a request may wait for a web container that accepts connections. */
  readonly retrySeconds: number;
  /**
   * Header in which a trusted CDN passes the client's address (Cloudflare: CF-Connecting-IP);
   * it becomes X-Forwarded-For so Rails logs and rate-limits the visitor, not the CDN.
   */
  readonly clientIpHeader?: string;
  /** When set, every request gets the maintenance page (503) instead of the app. */
  readonly maintenance?: { readonly appName: string; readonly retryAfterSeconds: number };
}

const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
const PATH = /^\/[A-Za-z0-9._/-]+$/;
const HEADER = /^[A-Za-z0-9-]+$/;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`renderCaddyfile: ${what}`);
}

function port(value: number, what: string): number {
  check(Number.isInteger(value) && value >= 1 && value <= 65535, `${what} must be a TCP port, got ${value}`);
  return value;
}

/** The lines of a site block that answer with the maintenance page and nothing else. */
function maintenanceLines(m: NonNullable<CaddyfileOptions["maintenance"]>): string[] {
  check(Number.isInteger(m.retryAfterSeconds) && m.retryAfterSeconds >= 1, "maintenance.retryAfterSeconds must be a whole number of seconds >= 1");
  const page = maintenancePage(m.appName, m.retryAfterSeconds);
  // The page goes into one quoted token: a quote or backslash would end or escape it, a brace would be a placeholder.
  check(!/["\\{}\r\n]/.test(page), "the maintenance page must not hold quotes, backslashes, braces or newlines");
  return [
    "\theader {",
    `\t\tRetry-After ${m.retryAfterSeconds}`,
    "\t\tCache-Control no-store",
    '\t\tContent-Type "text/html; charset=utf-8"',
    "\t}",
    `\trespond "${page}" 503`,
  ];
}

/** Renders the Caddyfile; throws on any value that could break out of its directive. */
export function renderCaddyfile(o: CaddyfileOptions): string {
  for (const h of [o.host, ...o.aliases, o.upstream.host]) check(HOST.test(h), `not a host name: ${JSON.stringify(h)}`);
  const files = o.tls === "internal" ? [] : [o.tls.certificateFile, o.tls.keyFile];
  for (const p of [...files, ...(o.clientCaFile !== undefined ? [o.clientCaFile] : [])]) {
    check(PATH.test(p), `not an absolute path: ${JSON.stringify(p)}`);
  }
  if (o.clientIpHeader !== undefined) check(HEADER.test(o.clientIpHeader), `not a header name: ${JSON.stringify(o.clientIpHeader)}`);
  check(Number.isInteger(o.retrySeconds) && o.retrySeconds >= 1, "retrySeconds must be a whole number of seconds >= 1");
  const http = port(o.listen.http, "listen.http");
  const https = port(o.listen.https, "listen.https");
  const publicPort = port(o.publicHttpsPort, "publicHttpsPort");
  const upstreamPort = port(o.upstream.port, "upstream.port");
  const maintenance = o.maintenance === undefined ? undefined : maintenanceLines(o.maintenance);
  const authority = (host: string) => (publicPort === 443 ? host : `${host}:${publicPort}`);
  // `trusted_ca_cert_file` is understood by Caddy 2.6 (the tests' validator) and, as the legacy
  // spelling of `trust_pool file`, by 2.8 and later.
  const source = o.tls === "internal" ? "internal" : `${o.tls.certificateFile} ${o.tls.keyFile}`;
  const tls = o.clientCaFile === undefined
    ? `\ttls ${source}`
    : [
        `\ttls ${source} {`,
        "\t\tclient_auth {",
        "\t\t\tmode require_and_verify",
        `\t\t\ttrusted_ca_cert_file ${o.clientCaFile}`,
        "\t\t}",
        "\t}",
      ].join("\n");

  const lines = [
    "# Rendered by src/app/caddyfile.ts; edit it there.",
    "{",
    "\tadmin off",
    ...(o.tls === "internal"
      ? [
          // `auto_https off` would also stop Caddy from issuing the internal certificate (the
          // handshake then fails); only its redirects go, the block below does that job.
          "\t# TLS from Caddy's local CA, kept in its data directory; the HTTP block below redirects.",
          "\tauto_https disable_redirects",
          // Installing the root into the container's trust store is useless and fails as nobody.
          "\tskip_install_trust",
        ]
      : ["\t# TLS comes from the certificate uploaded beside this file; no ACME state on the host.", "\tauto_https off"]),
    "}",
    "",
    `http://:${http} {`,
    ...(maintenance ?? [`\tredir https://${authority("{host}")}{uri} 308`]),
    "}",
  ];
  for (const alias of o.aliases) {
    lines.push("", `https://${alias}:${https} {`, tls, ...(maintenance ?? [`\tredir https://${authority(o.host)}{uri} 308`]), "}");
  }
  if (maintenance !== undefined) {
    lines.push("", `https://${o.host}:${https} {`, tls, ...maintenance, "}", "");
    return lines.join("\n");
  }
  lines.push(
    "",
    `https://${o.host}:${https} {`,
    tls,
    "\tencode zstd gzip",
    "\treverse_proxy {",
    `\t\tdynamic a ${o.upstream.host} ${upstreamPort} {`,
    "\t\t\trefresh 1s",
    "\t\t}",
    `\t\tlb_try_duration ${o.retrySeconds}s`,
    "\t\tlb_try_interval 250ms",
    "\t\tfail_duration 3s",
    "\t\tmax_fails 1",
    "\t\theader_up X-Forwarded-Proto https",
    ...(o.clientIpHeader !== undefined ? [`\t\theader_up X-Forwarded-For {http.request.header.${o.clientIpHeader}}`] : []),
    "\t\ttransport http {",
    "\t\t\tdial_timeout 500ms",
    "\t\t}",
    "\t}",
    "}",
    "",
  );
  return lines.join("\n");
}
