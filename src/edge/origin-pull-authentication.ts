import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** The CA outlives any client certificate it signs, so renewing one never touches the proxy. */
export const ORIGIN_PULL_CA_VALIDITY_HOURS = 15 * 365 * 24;
/** The client certificate Cloudflare presents; renewed on the first `up` in its last 90 days. */
export const ORIGIN_PULL_CLIENT_VALIDITY_HOURS = 3 * 365 * 24;
export const ORIGIN_PULL_EARLY_RENEWAL_HOURS = 90 * 24;

/** Key usages (the tls provider's spelling) of the CA and of the certificate Cloudflare presents. */
export const ORIGIN_PULL_CA_USES = ["cert_signing", "crl_signing", "digital_signature"] as const;
export const ORIGIN_PULL_CLIENT_USES = ["client_auth", "digital_signature"] as const;

export interface OriginPullAuthenticationArgs {
  /** The zone whose edge presents the client certificate to the origin. */
  readonly zoneId: pulumi.Input<string>;
  /** Subject common-name stem, e.g. the domain. */
  readonly domain: string;
}

/**
 * Zone-level authenticated origin pulls with a certificate of our own: Cloudflare's edge presents
 * a client certificate signed by a CA only this stack holds, and the proxy refuses every TLS
 * client without it. Cloudflare's shared origin-pull certificate would not do: every Cloudflare
 * customer's zone presents that one, so another account could still put the origin behind its
 * own zone and skip this zone's settings (WAF, TLS mode, HSTS).
 *
 * The certificate and its key are uploaded to the zone, and only then is the setting switched
 * on; the proxy is told to require the client certificate after both (the caller makes the proxy
 * depend on `ready`), so the edge always presents a certificate before the origin demands it.
 */
export class OriginPullAuthentication extends pulumi.ComponentResource {
  /** PEM of the CA the proxy trusts for client certificates (public). */
  readonly caCertificatePem: pulumi.Output<string>;
  /** The zone setting that turns authenticated origin pulls on; the proxy waits for it. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: OriginPullAuthenticationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:edge:OriginPullAuthentication", name, {}, opts);
    const child = { parent: this };

    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, child);
    const ca = new tls.SelfSignedCert(`${name}-ca`, {
      privateKeyPem: caKey.privateKeyPem,
      subject: { commonName: `${args.domain} origin-pull CA`, organization: "DocsTown" },
      isCaCertificate: true,
      validityPeriodHours: ORIGIN_PULL_CA_VALIDITY_HOURS,
      allowedUses: [...ORIGIN_PULL_CA_USES],
    }, child);

    const clientKey = new tls.PrivateKey(`${name}-client-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, child);
    const csr = new tls.CertRequest(`${name}-client-csr`, {
      privateKeyPem: clientKey.privateKeyPem,
      subject: { commonName: `${args.domain} Cloudflare edge`, organization: "DocsTown" },
    }, child);
    const client = new tls.LocallySignedCert(`${name}-client`, {
      certRequestPem: csr.certRequestPem,
      caPrivateKeyPem: caKey.privateKeyPem,
      caCertPem: ca.certPem,
      validityPeriodHours: ORIGIN_PULL_CLIENT_VALIDITY_HOURS,
      earlyRenewalHours: ORIGIN_PULL_EARLY_RENEWAL_HOURS,
      allowedUses: [...ORIGIN_PULL_CLIENT_USES],
    }, child);

    const uploaded = new cloudflare.AuthenticatedOriginPullsCertificate(`${name}-certificate`, {
      zoneId: args.zoneId,
      certificate: client.certPem,
      privateKey: pulumi.secret(clientKey.privateKeyPem),
    }, child);
    const setting = new cloudflare.AuthenticatedOriginPullsSettings(`${name}-setting`, {
      zoneId: args.zoneId,
      enabled: true,
    }, { ...child, dependsOn: [uploaded] });

    this.caCertificatePem = ca.certPem;
    this.ready = setting;
    this.registerOutputs({ caCertificatePem: this.caCertificatePem });
  }
}
