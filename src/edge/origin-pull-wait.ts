/**
 * Waiting for Cloudflare to deploy an uploaded origin-pull client certificate.
 *
 * An upload starts as `pending_deployment` and turns `active` some minutes later (the `status`
 * of terraform-provider-cloudflare's authenticated_origin_pulls_certificate: initializing,
 * pending_deployment, active, pending_deletion, deleted, deployment_timed_out,
 * deletion_timed_out). The provider's Create returns at once, without waiting. Cloudflare's
 * procedure for replacing a zone-level certificate without downtime is: upload the new one, wait
 * until it is active, only then delete the old one (SSL docs, Authenticated Origin Pulls, "Manage
 * certificates"). The program runs this script as a local command after every new upload; the
 * zone setting, and through it the proxy, wait for it, and Pulumi deletes a replaced upload only
 * after every resource the program declares is done (create-before-delete: the old one goes in
 * the deletes at the end of the update), so the old certificate stays until the new is active.
 */

/** How long an `up` waits for an upload to turn active before it fails (and keeps the old one). */
export const ORIGIN_PULL_ACTIVE_TIMEOUT_SECONDS = 20 * 60;
export const ORIGIN_PULL_ACTIVE_POLL_SECONDS = 10;

/** Statuses after which waiting is pointless: the upload will not turn active by itself. */
export const ORIGIN_PULL_FAILED_STATUSES = ["deployment_timed_out", "pending_deletion", "deleted", "deletion_timed_out"] as const;

/** The environment the script reads besides `CLOUDFLARE_API_TOKEN`, which it takes from the deploying shell. */
export interface OriginPullWaitEnvironment {
  readonly ZONE_ID: string;
  readonly CERTIFICATE_ID: string;
  readonly TIMEOUT_SECONDS: string;
  readonly POLL_SECONDS: string;
}

/**
 * Node.js source (run as `node -e`) that polls Cloudflare's "Get Certificate Details" for the
 * zone-level client certificate until its status is `active`. Exits 0 then; exits 1 with a message
 * saying what it waited for, what it saw last and what to do, when the status cannot turn active,
 * the token is missing or refused, or the time is up. `DOCSTOWN_CLOUDFLARE_API` replaces the API
 * base, for tests only.
 */
export const ORIGIN_PULL_WAIT_SCRIPT = String.raw`
const env = process.env;
const token = env.CLOUDFLARE_API_TOKEN;
const api = env.DOCSTOWN_CLOUDFLARE_API || "https://api.cloudflare.com/client/v4";
const zone = env.ZONE_ID;
const id = env.CERTIFICATE_ID;
const timeout = Number(env.TIMEOUT_SECONDS);
const poll = Number(env.POLL_SECONDS);
const failed = ${JSON.stringify(ORIGIN_PULL_FAILED_STATUSES)};
const what = "the origin-pull client certificate " + id + " uploaded to zone " + zone;
const check = "curl -fsS -H \"Authorization: Bearer $CLOUDFLARE_API_TOKEN\" " + api + "/zones/" + zone + "/origin_tls_client_auth/" + id + " | jq -r .result.status";
// Sets the exit code and lets Node end on its own, so the message is written out in full.
const fail = (message) => {
  console.error("waiting for Cloudflare to deploy " + what + ": " + message);
  process.exitCode = 1;
};
const started = Date.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
if (!token) fail("CLOUDFLARE_API_TOKEN is not set in the environment of pulumi up; export the deploy token (SSL and Certificates: Edit) and run pulumi up again");
else (async () => {
  let last = "no answer yet";
  for (;;) {
    try {
      const res = await fetch(api + "/zones/" + zone + "/origin_tls_client_auth/" + id, { headers: { Authorization: "Bearer " + token } });
      const body = await res.json().catch(() => ({}));
      const status = body && body.result ? body.result.status : undefined;
      if (res.ok && status === "active") {
        console.log(what + " is active (after " + Math.round((Date.now() - started) / 1000) + " s)");
        return;
      }
      if (res.status === 401 || res.status === 403) {
        return fail("Cloudflare refused the token (HTTP " + res.status + "); it needs SSL and Certificates: Edit on the zone");
      }
      if (res.ok && failed.includes(status)) {
        return fail("its status is " + status + ", which does not turn active; see docs/origin-pulls.md (the old certificate, if any, is still in place)");
      }
      last = res.ok ? "status " + status : "HTTP " + res.status;
    } catch (error) {
      last = String(error && error.message ? error.message : error);
    }
    if (Date.now() - started >= timeout * 1000) {
      return fail("still not active after " + timeout + " s (last: " + last + "). Nothing was removed: the old certificate, if any, is still in place. Check with: " + check + " ; then run pulumi up again, which waits anew");
    }
    await sleep(poll * 1000);
  }
})();
`;
