import * as http from "node:http";
import * as https from "node:https";
import { rootCertificates } from "node:tls";
import { describeError, fail, pass, withDeadline, type CheckResult } from "./check";

/** Where the site is, and how to reach it when tests (or a pre-DNS check) point it elsewhere. */
export interface Endpoint {
  /** Public HTTPS base URL, e.g. https://docstown.org/ */
  url: URL;
  /** Address to connect to instead of resolving the URL's host; SNI and Host stay the URL's. */
  connectHost?: string;
  httpsPort?: number;
  httpPort?: number;
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots. */
  ca?: readonly string[];
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  elapsedMs: number;
}

/** Node replaces its bundled roots when `ca` is given, so extra CAs are appended to them. */
export function trustedCas(extra: readonly string[] | undefined): string[] | undefined {
  return extra && extra.length > 0 ? [...rootCertificates, ...extra] : undefined;
}

/** Connection target for `url`: overrides apply only to the site's own host. */
export function connectTarget(url: URL, endpoint: Endpoint): { host: string; port: number } {
  const secure = url.protocol === "https:";
  const defaultPort = url.port ? Number(url.port) : secure ? 443 : 80;
  if (url.hostname !== endpoint.url.hostname) return { host: url.hostname, port: defaultPort };
  const override = secure ? endpoint.httpsPort : endpoint.httpPort;
  return { host: endpoint.connectHost ?? url.hostname, port: override ?? defaultPort };
}

/** GET `url` and resolve with the status line and headers; the body is not needed. */
export function get(url: URL, endpoint: Endpoint): Promise<HttpAnswer> {
  const { host, port } = connectTarget(url, endpoint);
  const started = Date.now();
  let request: http.ClientRequest | undefined;
  const answer = new Promise<HttpAnswer>((resolve, reject) => {
    const options: https.RequestOptions = {
      host,
      port,
      method: "GET",
      path: `${url.pathname}${url.search}`,
      headers: { host: url.host, "user-agent": "docstown-verify" },
      agent: false,
    };
    if (url.protocol === "https:") {
      options.servername = url.hostname;
      const ca = trustedCas(endpoint.ca);
      if (ca) options.ca = ca;
    }
    request = (url.protocol === "https:" ? https : http).request(options, (response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers, elapsedMs: Date.now() - started });
      // Only the head matters; dropping the socket keeps a slow body from holding verify open.
      response.destroy();
    });
    request.on("error", reject);
    request.end();
  });
  return withDeadline(answer, endpoint.timeoutMs, `GET ${url.href}`, () => request?.destroy());
}

/** 180 days: a shorter policy lapses for visitors who come back less often than that. */
export const MIN_HSTS_SECONDS = 15552000;

/** Check 1 and 4: /up answers 200 in time, and that HTTPS answer carries HSTS. */
export async function checkUpAndHsts(endpoint: Endpoint): Promise<[CheckResult, CheckResult]> {
  const url = new URL("/up", endpoint.url);
  const upName = `HTTPS GET ${url.pathname}`;
  let answer: HttpAnswer;
  try {
    answer = await get(url, endpoint);
  } catch (error) {
    const reason = describeError(error);
    return [fail("https-up", upName, reason), fail("hsts", "HSTS header", `no HTTPS answer to inspect (${reason})`)];
  }
  const up =
    answer.status === 200
      ? pass("https-up", upName, `200 in ${answer.elapsedMs} ms`)
      : fail("https-up", upName, `answered ${answer.status}, expected 200`);
  return [up, hstsResult(answer.headers["strict-transport-security"])];
}

function hstsResult(header: string | string[] | undefined): CheckResult {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return fail("hsts", "HSTS header", "no Strict-Transport-Security header on the HTTPS answer");
  const maxAge = /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?/i.exec(value)?.[1];
  if (maxAge === undefined) return fail("hsts", "HSTS header", `no max-age in "${value}"`);
  if (Number(maxAge) < MIN_HSTS_SECONDS) {
    return fail("hsts", "HSTS header", `max-age=${maxAge} is below ${MIN_HSTS_SECONDS} (180 days)`);
  }
  return pass("hsts", "HSTS header", value);
}

const REDIRECTS = new Set([301, 302, 307, 308]);

/** Check 2: plain HTTP on the site's host redirects to https://<host>/. */
export async function checkHttpRedirect(endpoint: Endpoint): Promise<CheckResult> {
  const url = new URL("/", endpoint.url);
  url.protocol = "http:";
  url.port = "";
  const name = "HTTP → HTTPS redirect";
  const wanted = new URL("/", endpoint.url).href;
  let answer: HttpAnswer;
  try {
    answer = await get(url, endpoint);
  } catch (error) {
    return fail("http-redirect", name, describeError(error));
  }
  const location = answer.headers.location;
  if (!REDIRECTS.has(answer.status)) return fail("http-redirect", name, `answered ${answer.status}, expected a redirect to ${wanted}`);
  if (!location) return fail("http-redirect", name, `${answer.status} without a Location header`);
  let target: URL | undefined;
  try {
    target = new URL(location);
  } catch {
    target = undefined;
  }
  if (target?.href !== wanted) return fail("http-redirect", name, `${answer.status} to ${location}, expected ${wanted}`);
  return pass("http-redirect", name, `${answer.status} → ${location}`);
}

/** Check 6: an optional deeper health URL (e.g. one that touches the database) answers 200. */
export async function checkHealthUrl(endpoint: Endpoint, healthUrl: URL): Promise<CheckResult> {
  const name = `Health ${healthUrl.href}`;
  try {
    const answer = await get(healthUrl, endpoint);
    return answer.status === 200
      ? pass("health", name, `200 in ${answer.elapsedMs} ms`)
      : fail("health", name, `answered ${answer.status}, expected 200`);
  } catch (error) {
    return fail("health", name, describeError(error));
  }
}
