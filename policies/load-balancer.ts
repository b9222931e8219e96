import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { CLOUDFLARE_RANGES } from "./cloudflare-ranges";
import { edgeMessages, readSourceLimits } from "./source-policy";
import { UNKNOWN, isUnknownValue, quote, readArray, readBoolean, readNumber, readRecord, readString, readStrings, validateResourceOfType } from "./values";

/**
 * The DigitalOcean load balancer in front of the web hosts (docstown:web.count 2+). It is the
 * origin Cloudflare reaches, so it must keep what the droplet firewall keeps: TLS ends on the web
 * hosts' proxies (passthrough, never a decrypted request sent on in plain HTTP), and only
 * Cloudflare's edge may connect. Without a firewall allow list a DigitalOcean load balancer takes
 * every address, so a plain-HTTP forwarding rule would then serve the world around Cloudflare.
 */

export const LOAD_BALANCER_TYPE = "digitalocean:index/loadBalancer:LoadBalancer";

const cloudflareRangesSchema: PolicyConfigSchema = {
  properties: {
    cloudflareRanges: {
      type: "array",
      items: { type: "string" },
      default: [...CLOUDFLARE_RANGES],
      description: "The only networks allowed to the load balancer: Cloudflare's published ranges (policies/cloudflare-ranges.ts).",
    },
  },
};

interface Rule {
  entryProtocol: string;
  entryPort: number | undefined;
  targetProtocol: string;
  tlsPassthrough: boolean;
}

/** The readable forwarding rules; unknown ones (a preview) are skipped. */
function readRules(rules: readonly unknown[]): Rule[] {
  return rules.flatMap((r) => {
    const entryProtocol = readString(r, "entryProtocol");
    const targetProtocol = readString(r, "targetProtocol");
    const entryPort = readNumber(r, "entryPort");
    const tlsPassthrough = readBoolean(r, "tlsPassthrough");
    if (isUnknownValue(r) || entryProtocol === UNKNOWN || targetProtocol === UNKNOWN || entryPort === UNKNOWN || tlsPassthrough === UNKNOWN) return [];
    return [{
      entryProtocol: (entryProtocol ?? "").toLowerCase(),
      entryPort,
      targetProtocol: (targetProtocol ?? "").toLowerCase(),
      tlsPassthrough: tlsPassthrough === true,
    }];
  });
}

/** `cidr:1.2.3.0/24` / `ip:1.2.3.4` → the network; anything else as written (reported unreadable). */
function sourceOf(entry: string): string {
  const at = entry.indexOf(":");
  return at < 0 ? entry : entry.slice(at + 1);
}

const HTTPS_ENTRIES = new Set(["https", "http2", "http3"]);

export const loadBalancerNoPlainHttpToWorld: ResourceValidationPolicy = {
  name: "load-balancer-no-plain-http-to-world",
  description:
    "A load balancer passes TLS through to the web hosts (an HTTPS entry never reaches a backend as plain HTTP), " +
    "and a plain-HTTP forwarding rule exists only behind a firewall allow list.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(LOAD_BALANCER_TYPE, (props, args, report) => {
    const list = readArray(props, "forwardingRules");
    if (list === UNKNOWN || list === undefined) return;
    const rules = readRules(list);
    const at = `load balancer ${quote(args.name)}`;
    for (const r of rules.filter((x) => HTTPS_ENTRIES.has(x.entryProtocol))) {
      if (r.tlsPassthrough && r.targetProtocol === "https") continue;
      report(
        `${at} terminates ${r.entryProtocol} on ${r.entryPort ?? "?"} and forwards ${r.targetProtocol} to the droplets; ` +
          "pass TLS through (tlsPassthrough: true, target https) so the request is never plain HTTP behind it and the Origin CA key stays on the hosts",
      );
    }
    if (!rules.some((r) => r.targetProtocol === "http")) return;
    const firewall = readRecord(props, "firewall");
    if (firewall === UNKNOWN) return;
    const allows = firewall === undefined ? undefined : readStrings(firewall, "allows");
    if (allows === UNKNOWN) return;
    if (allows === undefined || allows.length === 0) {
      report(`${at} forwards plain HTTP to the droplets with no firewall allow list, so every address on the internet reaches them around Cloudflare; set firewall.allows to Cloudflare's ranges`);
    }
  }),
};

export const loadBalancerFirewallCloudflare: ResourceValidationPolicy = {
  name: "load-balancer-firewall-cloudflare",
  description: "A load balancer admits only Cloudflare's published ranges (firewall.allows), as the droplet firewall does on 80/443.",
  enforcementLevel: "mandatory",
  configSchema: cloudflareRangesSchema,
  validateResource: validateResourceOfType(LOAD_BALANCER_TYPE, (props, args, report) => {
    const { cloudflareRanges } = readSourceLimits(args.getConfig<object>(), "load-balancer-firewall-cloudflare");
    const at = `load balancer ${quote(args.name)}`;
    const firewall = readRecord(props, "firewall");
    if (firewall === UNKNOWN) return;
    const allows = firewall === undefined ? undefined : readStrings(firewall, "allows");
    if (allows === UNKNOWN) return;
    if (allows === undefined || allows.length === 0) {
      report(`${at} has no firewall allow list: every address may connect; allow only Cloudflare's ranges (firewall.allows "cidr:<range>")`);
      return;
    }
    for (const message of edgeMessages(allows.map(sourceOf), cloudflareRanges)) report(`${at} firewall ${message}`);
  }),
};
