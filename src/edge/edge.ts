import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { CloudflareSettings } from "../config/schema";
import type { EmailConfig } from "../email/schema";
import { githubOAuthCallbackUrl } from "./oauth";
import { OriginCertificate } from "./origin-certificate";
import { OriginPullAuthentication } from "./origin-pull-authentication";
import { caaRecords, emailRecords, normalizeDomain, recordProblems, webRecords, type DnsRecordSpec } from "./records";
import { zoneSettings } from "./zone-settings";

export interface EdgeArgs {
  /** The zone apex the app is served on, e.g. docstown.org. */
  readonly domain: string;
  /** The origin's public IPv4 (the reserved IP), target of the proxied apex A record. */
  readonly publicIp: pulumi.Input<string>;
  /**
   * What the apex record waits for before it points at `publicIp`: with a load balancer, the web
   * containers behind it (resolved once they are declared), so Cloudflare switches origins only
   * when the new one serves.
   */
  readonly apexAfter?: pulumi.Input<pulumi.Resource[]>;
  /** The origin's IPv6 address; when set, a proxied apex AAAA record points at it. */
  readonly ipv6Address?: pulumi.Input<string>;
  /** Zone id (looked up by `domain` when absent), CAA issuers and the zone-setting switches. */
  readonly cloudflare: CloudflareSettings;
  /** The mail provider whose DNS records are published in the zone; none when absent. */
  readonly email?: EmailConfig;
}

/**
 * DocsTown's Cloudflare edge: proxied DNS for the apex and www, CAA, the mail provider's
 * records, the zone's TLS settings (Full strict, HTTPS only, TLS >= 1.2, HSTS) and the Origin
 * CA certificate the proxy on the droplet serves.
 *
 * API token permissions it needs on the zone: Zone: Read (the lookup by name), DNS: Edit,
 * Zone Settings: Edit, SSL and Certificates: Edit (the Origin CA certificate, the origin-pull
 * client certificate and its setting).
 */
export class Edge extends pulumi.ComponentResource {
  readonly zoneId: pulumi.Output<string>;
  /** Origin CA certificate (PEM) for the proxy. */
  readonly originCertificatePem: pulumi.Output<string>;
  /** Its private key (PEM); a Pulumi secret. */
  readonly originPrivateKeyPem: pulumi.Output<string>;
  readonly originCertificateExpiresOn: pulumi.Output<string>;
  /**
   * Authenticated origin pulls, declared whether `cloudflare.authenticatedOriginPulls` is on or
   * off: the CA the proxy requires client certificates from (when on), the zone setting it waits
   * for (`ready`, when on), and `switchOffAfter(proxy)`, which the caller must call (off: the
   * setting goes off after the proxy stops requiring the certificate).
   */
  readonly originPull: OriginPullAuthentication;
  /** What the GitHub OAuth app's "Authorization callback URL" must be. */
  readonly oauthCallbackUrl: string;
  /** Every record, by its resource-name suffix (`apex-a`, `email-dkim-0`, …). */
  readonly records: Readonly<Record<string, cloudflare.DnsRecord>>;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:edge:Edge", name, {}, opts);
    const domain = normalizeDomain(args.domain);

    const specs: DnsRecordSpec[] = [
      ...webRecords(domain, args.ipv6Address === undefined ? { ipv4: args.publicIp } : { ipv4: args.publicIp, ipv6: args.ipv6Address }),
      ...caaRecords(domain, args.cloudflare.caaIssuers),
      ...(args.email ? emailRecords(domain, args.email) : []),
    ];
    const problems = recordProblems(specs);
    if (problems.length > 0) throw new Error(`DNS records for ${domain} conflict:\n${problems.join("\n")}`);

    this.zoneId =
      args.cloudflare.zoneId !== undefined
        ? pulumi.output(args.cloudflare.zoneId)
        : cloudflare.getZoneOutput({ filter: { name: domain } }, { parent: this }).id;

    const records: Record<string, cloudflare.DnsRecord> = {};
    for (const spec of specs) {
      records[spec.key] = new cloudflare.DnsRecord(
        `${name}-${spec.key}`,
        {
          zoneId: this.zoneId,
          type: spec.type,
          name: spec.name,
          content: spec.content,
          data: spec.data,
          priority: spec.priority,
          proxied: spec.proxied,
          ttl: spec.ttl,
          comment: spec.comment,
        },
        // Brief §4: a replacement (type or zone change) must delete first, or the new record
        // collides with the old one at the same name (a CNAME cannot coexist with anything).
        { parent: this, deleteBeforeReplace: true, ...(spec.key.startsWith("apex-") && args.apexAfter !== undefined ? { dependsOn: args.apexAfter } : {}) },
      );
    }
    this.records = records;

    // Every setting, its switch on or off (off is a value, not a delete: see zoneSettings).
    for (const setting of zoneSettings(args.cloudflare)) {
      new cloudflare.ZoneSetting(
        `${name}-setting-${setting.key}`,
        { zoneId: this.zoneId, settingId: setting.settingId, value: setting.value },
        { parent: this },
      );
    }

    const origin = new OriginCertificate(`${name}-origin`, { domain }, { parent: this });
    this.originCertificatePem = origin.certificatePem;
    this.originPrivateKeyPem = origin.privateKeyPem;
    this.originCertificateExpiresOn = origin.expiresOn;
    this.oauthCallbackUrl = githubOAuthCallbackUrl(domain);
    this.originPull = new OriginPullAuthentication(
      `${name}-origin-pull`,
      { zoneId: this.zoneId, domain, enabled: args.cloudflare.authenticatedOriginPulls },
      { parent: this },
    );

    this.registerOutputs({
      zoneId: this.zoneId,
      originCertificatePem: this.originCertificatePem,
      originPrivateKeyPem: this.originPrivateKeyPem,
      originCertificateExpiresOn: this.originCertificateExpiresOn,
      oauthCallbackUrl: this.oauthCallbackUrl,
      originPullCaPem: this.originPull.caCertificatePem,
    });
  }
}
