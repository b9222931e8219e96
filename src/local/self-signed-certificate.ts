import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface SelfSignedCertificateArgs {
  /** DNS names the certificate is valid for; the first is its common name. */
  readonly hosts: readonly string[];
  /** Validity in days; renewed by `pulumi up` in the last 30. */
  readonly validityDays?: number;
}

/**
 * A self-signed certificate for the local stack's proxy, generated in the state: no CA, no ACME,
 * nothing to install. Browsers warn once; `curl -k` or trusting the certificate silences them.
 */
export class SelfSignedCertificate extends pulumi.ComponentResource {
  readonly certificatePem: pulumi.Output<string>;
  /** PEM private key; a Pulumi secret. */
  readonly privateKeyPem: pulumi.Output<string>;

  constructor(name: string, args: SelfSignedCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:local:SelfSignedCertificate", name, {}, opts);
    const [commonName] = args.hosts;
    if (commonName === undefined) throw new Error("SelfSignedCertificate needs at least one host");
    const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    const cert = new tls.SelfSignedCert(
      `${name}-cert`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName, organization: "DocsTown local stack" },
        dnsNames: [...args.hosts],
        ipAddresses: ["127.0.0.1", "::1"],
        validityPeriodHours: (args.validityDays ?? 365) * 24,
        earlyRenewalHours: 30 * 24,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
      },
      { parent: this },
    );
    this.certificatePem = cert.certPem;
    this.privateKeyPem = pulumi.secret(key.privateKeyPem);
    this.registerOutputs({ certificatePem: this.certificatePem });
  }
}
