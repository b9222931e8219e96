import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OriginCertificate, originHostnames } from "../../src/edge/origin-certificate";
import { compareGraphs, formatChanges, type GraphDocument } from "../../src/synth/compare";
import type { RecordedResource } from "../../src/synth/recorder";
import { one, recordProgram } from "../harness";

const CERT = "cloudflare:index/originCaCertificate:OriginCaCertificate";
const CSR = "tls:index/certRequest:CertRequest";

/**
 * What Cloudflare's API answers for a certificate issued for an apex and its wildcard, and so what
 * the provider's Read (and its Create) stores in the state: the names sorted, wildcard first.
 * terraform-provider-cloudflare #5392 and #6239 show this order in their "forces replacement"
 * plans; the provider's own acceptance test (origin_ca_certificate/resource_test.go) declares
 * `["*.<domain>", "<domain>"]` and verifies an import, i.e. the API's answer, against it.
 * Written out here, not computed, so that the test does not agree with the code by construction.
 */
const API_HOSTNAMES: Record<string, string[]> = {
  "docstown.org": ["*.docstown.org", "docstown.org"],
  "staging.docs-town.example": ["*.staging.docs-town.example", "staging.docs-town.example"],
  "0docs.example": ["*.0docs.example", "0docs.example"],
};

const graphOf = (cert: RecordedResource, inputs: Record<string, unknown>): GraphDocument => ({
  resources: [{ urn: cert.urn, inputs, options: cert.options }],
});

describe("origin certificate hostnames after a refresh", () => {
  for (const [domain, refreshed] of Object.entries(API_HOSTNAMES)) {
    it(`declares ${domain}'s hostnames in the order the API returns them, so a refreshed state shows no diff`, async () => {
      const result = await recordProgram(() => new OriginCertificate("origin", { domain }));
      const cert = one(result, CERT);
      // `hostnames` forces replacement in the provider: any difference from the refreshed
      // value would issue a new certificate and replace the proxy.
      const changes = compareGraphs(graphOf(cert, { ...cert.inputs, hostnames: refreshed }), graphOf(cert, cert.inputs));
      assert.deepEqual(changes, [], `declared vs refreshed:\n${formatChanges(changes)}`);
    });
  }

  it("originHostnames is that order for a mixed-case domain with a trailing dot", () => {
    assert.deepEqual(originHostnames("DocsTown.org."), ["*.docstown.org", "docstown.org"]);
  });

  it("keeps the CSR as it was (apex as common name, apex then wildcard): changing it would replace the certificate too", async () => {
    const result = await recordProgram(() => new OriginCertificate("origin", { domain: "docstown.org" }));
    const csr = one(result, CSR);
    assert.deepEqual(csr.inputs["subject"], { commonName: "docstown.org", organization: "DocsTown" });
    assert.deepEqual(csr.inputs["dnsNames"], ["docstown.org", "*.docstown.org"]);
  });
});
