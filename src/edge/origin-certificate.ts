import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { normalizeDomain } from "./records";

/** The longest validity Cloudflare's Origin CA offers (15 years): no renewal to forget. */
export const ORIGIN_CERT_VALIDITY_DAYS = 5475;

/**
 * The apex and one level of subdomains (www and any later host), which the proxy serves, in the
 * order Cloudflare's API returns them: sorted, so the wildcard comes first ("*" sorts before every
 * character a host name may hold). The provider stores the API's list on create and on refresh,
 * and `hostnames` forces replacement, so any other order would issue a new certificate (and
 * replace the proxy) at the next `up` (terraform-provider-cloudflare #5392, #6239).
 */
export function originHostnames(domain: string): string[] {
  const apex = normalizeDomain(domain);
  return [`*.${apex}`, apex];
}

/**
 * The names the CSR asks for: the apex as common name, then the wildcard. Kept apart from
 * `originHostnames` on purpose: the CSR's PEM is an input of the certificate too, so reordering
 * these names would also replace it. Cloudflare signs the hostnames of the request, not these.
 */
function csrNames(domain: string): { commonName: string; dnsNames: string[] } {
  const apex = normalizeDomain(domain);
  return { commonName: apex, dnsNames: [apex, `*.${apex}`] };
}

export interface OriginCertificateArgs {
  /** The zone apex the certificate covers, with its wildcard. */
  readonly domain: string;
}

/**
 * A Cloudflare Origin CA certificate for the origin's TLS, signed from a CSR whose key never
 * leaves the stack (an ECDSA P-256 key, so the certificate is `origin-ecc`). Origin CA
 * certificates are trusted only by Cloudflare's edge, which is all Full (strict) needs; no ACME
 * state lives on the droplet and every web host can serve the same pair.
 *
 * Creating it needs a Cloudflare API token with Zone / SSL and Certificates: Edit on the zone
 * (the provider's `apiToken`; the legacy Origin CA key as `apiUserServiceKey` also works).
 */
export class OriginCertificate extends pulumi.ComponentResource {
  /** PEM certificate chain the proxy serves. */
  readonly certificatePem: pulumi.Output<string>;
  /** PEM private key; a Pulumi secret. */
  readonly privateKeyPem: pulumi.Output<string>;
  readonly expiresOn: pulumi.Output<string>;

  constructor(name: string, args: OriginCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:edge:OriginCertificate", name, {}, opts);
    const hostnames = originHostnames(args.domain);
    const names = csrNames(args.domain);

    const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    const csr = new tls.CertRequest(
      `${name}-csr`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: names.commonName, organization: "DocsTown" },
        dnsNames: names.dnsNames,
      },
      { parent: this },
    );
    const certificate = new cloudflare.OriginCaCertificate(
      `${name}-cert`,
      { csr: csr.certRequestPem, hostnames, requestType: "origin-ecc", requestedValidity: ORIGIN_CERT_VALIDITY_DAYS },
      // Left create-before-delete: a replacement is issued before the old one is revoked, so the
      // proxy always holds a pair Cloudflare accepts.
      { parent: this },
    );

    this.certificatePem = certificate.certificate;
    // The tls provider marks the key secret in the engine; this keeps it secret for every consumer too.
    this.privateKeyPem = pulumi.secret(key.privateKeyPem);
    this.expiresOn = certificate.expiresOn;
    this.registerOutputs({ certificatePem: this.certificatePem, privateKeyPem: this.privateKeyPem, expiresOn: this.expiresOn });
  }
}
