import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { ORIGIN_PULL_ACTIVE_POLL_SECONDS, ORIGIN_PULL_ACTIVE_TIMEOUT_SECONDS, ORIGIN_PULL_WAIT_SCRIPT } from "./origin-pull-wait";

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
  /**
   * `cloudflare.authenticatedOriginPulls`: whether the zone presents the certificate (and the
   * proxy requires it). Off keeps everything else; only the zone setting and the proxy change.
   */
  readonly enabled: boolean;
}

/**
 * Zone-level authenticated origin pulls with a certificate of our own: Cloudflare's edge presents
 * a client certificate signed by a CA only this stack holds, and the proxy refuses every TLS
 * client without it. Cloudflare's shared origin-pull certificate would not do: every Cloudflare
 * customer's zone presents that one, so another account could still put the origin behind its
 * own zone and skip this zone's settings (WAF, TLS mode, HSTS).
 *
 * The CA, its key, the client certificate and its upload are declared whether the switch is on
 * or off, so switching off and on again reuses them: the proxy trusts the same CA, and the zone
 * already holds an active certificate. The zone setting is declared either way too, `enabled`
 * true or false: Cloudflare's provider does nothing when the setting is deleted
 * (terraform-provider-cloudflare, authenticated_origin_pulls_settings Delete).
 *
 * Order, on: upload, wait until Cloudflare reports the upload `active`, switch the setting on; the
 * caller makes the proxy require the certificate after that (`ready`). Off: the proxy stops
 * requiring it first, then the setting goes off (`switchOffAfter`).
 *
 * Renewal: the client certificate is replaced (early renewal) by one signed by the same CA, with
 * the same key. Its upload is replaced create-before-delete (the default: no
 * deleteBeforeReplace), the wait runs again for the new upload, and Pulumi deletes the old upload
 * in the deletes at the end of the update, after everything the program declares, the wait
 * included. So the old certificate is removed only once the new one is active, and the proxy,
 * which trusts the CA rather than the leaf, accepts both throughout.
 */
export class OriginPullAuthentication extends pulumi.ComponentResource {
  readonly enabled: boolean;
  /** PEM of the CA the proxy trusts for client certificates (public). */
  readonly caCertificatePem: pulumi.Output<string>;
  /** When the client certificate Cloudflare presents expires (RFC 3339). */
  readonly clientCertificateExpiresOn: pulumi.Output<string>;
  /** The wait that ends when Cloudflare reports the current upload active. */
  readonly certificateActive: command.local.Command;
  /** On: the zone setting, switched on once the certificate is active; the proxy waits for it. Off: absent. */
  readonly ready?: pulumi.Resource;

  private readonly name: string;
  private readonly zoneId: pulumi.Input<string>;
  private declared?: cloudflare.AuthenticatedOriginPullsSettings;

  constructor(name: string, args: OriginPullAuthenticationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:edge:OriginPullAuthentication", name, {}, opts);
    this.name = name;
    this.zoneId = args.zoneId;
    this.enabled = args.enabled;
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

    // A new certificate is a new upload (the provider replaces it); create-before-delete keeps
    // the old one until the end of the update.
    const uploaded = new cloudflare.AuthenticatedOriginPullsCertificate(`${name}-certificate`, {
      zoneId: args.zoneId,
      certificate: client.certPem,
      privateKey: pulumi.secret(clientKey.privateKeyPem),
    }, child);
    // Runs again for every new upload (its id is the trigger); the token comes from the deploying
    // shell's CLOUDFLARE_API_TOKEN, never from the inputs. The script is the interpreter's
    // argument, so a failure quotes the short `create` label rather than the whole script.
    this.certificateActive = new command.local.Command(`${name}-certificate-active`, {
      interpreter: ["node", "-e", ORIGIN_PULL_WAIT_SCRIPT],
      create: "wait-until-active",
      environment: {
        ZONE_ID: args.zoneId,
        CERTIFICATE_ID: uploaded.id,
        TIMEOUT_SECONDS: String(ORIGIN_PULL_ACTIVE_TIMEOUT_SECONDS),
        POLL_SECONDS: String(ORIGIN_PULL_ACTIVE_POLL_SECONDS),
      },
      triggers: [uploaded.id],
    }, child);

    if (args.enabled) {
      this.declared = this.declareSetting(true, [this.certificateActive]);
      this.ready = this.declared;
    }

    this.caCertificatePem = ca.certPem;
    this.clientCertificateExpiresOn = client.validityEndTime;
    this.registerOutputs({ caCertificatePem: this.caCertificatePem, clientCertificateExpiresOn: this.clientCertificateExpiresOn });
  }

  /**
   * With the switch off, declares the zone setting off, after `proxy` (the proxy that no longer
   * requires the certificate): the zone keeps presenting it until then, so the old proxy, which
   * still requires it, is never met without one. Does nothing with the switch on. The caller must
   * call it once the proxy exists; without it the setting would be deleted, which leaves it on.
   */
  switchOffAfter(proxy: pulumi.Resource | readonly pulumi.Resource[]): void {
    if (this.enabled) return;
    if (this.declared !== undefined) throw new Error(`${this.name}: switchOffAfter was called twice`);
    // Every proxy when there are several web hosts: the setting goes off once none requires it.
    this.declared = this.declareSetting(false, Array.isArray(proxy) ? [...proxy] : [proxy as pulumi.Resource]);
  }

  /** The zone setting, once declared (on: by the constructor; off: by `switchOffAfter`). */
  get setting(): cloudflare.AuthenticatedOriginPullsSettings | undefined {
    return this.declared;
  }

  private declareSetting(enabled: boolean, after: pulumi.Resource[]): cloudflare.AuthenticatedOriginPullsSettings {
    return new cloudflare.AuthenticatedOriginPullsSettings(`${this.name}-setting`, { zoneId: this.zoneId, enabled }, { parent: this, dependsOn: after });
  }
}
