import * as tls from "node:tls";
import { describeError, fail, pass, withDeadline, type CheckResult } from "./check";
import { connectTarget, trustedCas, type Endpoint } from "./http";

const DAY_MS = 86_400_000;

// Certificate name fields are arrays when an attribute repeats.
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export interface CertificateFacts {
  authorized: boolean;
  authorizationError?: string;
  /** Error from the hostname check, if the certificate does not cover the name. */
  hostnameError?: string;
  subject: string;
  issuer: string;
  validTo: Date;
}

/**
 * Handshakes without rejecting, so one connection tells us everything wrong with the
 * certificate (expired and for the wrong host, say) instead of only the first thing.
 */
export function inspectCertificate(endpoint: Endpoint): Promise<CertificateFacts> {
  const hostname = endpoint.url.hostname;
  const { host, port } = connectTarget(endpoint.url, endpoint);
  let socket: tls.TLSSocket | undefined;
  const facts = new Promise<CertificateFacts>((resolve, reject) => {
    const options: tls.ConnectionOptions = { host, port, servername: hostname, rejectUnauthorized: false };
    const ca = trustedCas(endpoint.ca);
    if (ca) options.ca = ca;
    socket = tls.connect(options, () => {
      const peer = socket?.getPeerCertificate();
      socket?.destroy();
      if (!peer || Object.keys(peer).length === 0) {
        reject(new Error("the server sent no certificate"));
        return;
      }
      const result: CertificateFacts = {
        authorized: socket?.authorized ?? false,
        subject: first(peer.subject?.CN) ?? "(no CN)",
        issuer: first(peer.issuer?.CN) ?? first(peer.issuer?.O) ?? "(unknown issuer)",
        validTo: new Date(peer.valid_to),
      };
      const authError = socket?.authorizationError;
      if (authError) result.authorizationError = String(authError);
      const identity = tls.checkServerIdentity(hostname, peer);
      if (identity) result.hostnameError = identity.message;
      resolve(result);
    });
    socket.on("error", reject);
  });
  return withDeadline(facts, endpoint.timeoutMs, `TLS handshake with ${host}:${port}`, () => socket?.destroy());
}

/** Check 3: the certificate covers the domain, chains to a trusted root and is not about to expire. */
export async function checkCertificate(endpoint: Endpoint, minDays: number, now = new Date()): Promise<CheckResult> {
  const name = "TLS certificate";
  let facts: CertificateFacts;
  try {
    facts = await inspectCertificate(endpoint);
  } catch (error) {
    return fail("tls-certificate", name, describeError(error));
  }
  const days = Math.floor((facts.validTo.getTime() - now.getTime()) / DAY_MS);
  const expiry = facts.validTo.toISOString().slice(0, 10);
  const problems: string[] = [];
  if (facts.hostnameError) problems.push(facts.hostnameError);
  if (days < 0) problems.push(`expired on ${expiry}`);
  else if (days < minDays) problems.push(`expires in ${days} days (${expiry}), below the ${minDays}-day minimum`);
  // An expired leaf also fails the chain check; saying so twice would only add noise.
  if (!facts.authorized && !(days < 0 && facts.authorizationError === "CERT_HAS_EXPIRED")) {
    problems.push(`chain does not verify: ${facts.authorizationError ?? "unknown reason"}`);
  }
  if (problems.length > 0) return fail("tls-certificate", name, problems.join("; "));
  return pass("tls-certificate", name, `${facts.subject}, issued by ${facts.issuer}, valid until ${expiry} (${days} days)`);
}
