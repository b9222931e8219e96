// The one container allowed to bind a path under /home: the authorized_keys step, confined, on
// /home/deploy/.ssh exactly. Starts from the step as the program declares it (compliant under the
// whole pack) and breaks one property at a time.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { allPolicies } from "../../policies/all";
import { containerNoSensitiveHostPaths, isConfinedKeysStep } from "../../policies/container-host-paths";
import { runPolicyPack, type RecordedPolicyResource } from "../../policies/run";
import { DEPLOY_SSH_DIR, KEYS_MOUNT, authorizedKeysContainerArgs } from "../../src/server/authorized-keys";
import { sshKeyFingerprint } from "../../src/config/ssh-fingerprint";
import { DIGEST, find, messages, productionGraph, setProps } from "./fixtures";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7iwlyD5cEPZw7bBIsHlTTcYk6rBmJ5MlsLoAOXpGRy ada@docstown";
const NAME = "docstown-migrate";

/** The production fixture with its migrate container's properties replaced by the declared step's (then `change`). */
function withStep(change: Record<string, unknown> = {}): RecordedPolicyResource[] {
  const graph = productionGraph();
  const declared = authorizedKeysContainerArgs({ image: `sha256:${DIGEST.slice(7)}`, keys: [KEY], deployKey: sshKeyFingerprint(KEY), extraLabels: {} });
  const cleared = Object.fromEntries(Object.keys(find(graph, NAME).props).map((k) => [k, undefined]));
  return setProps(graph, NAME, { ...cleared, ...(declared as unknown as Record<string, unknown>), ...change });
}

const refusal = `container "${NAME}" (step authorized-keys) binds host path "${DEPLOY_SSH_DIR}" through volumes[0] without the confinement that allows it: ` +
  'user "1000:1000", no capability, networkMode "none", readOnly, securityOpts "no-new-privileges:true"';

describe("container-no-sensitive-host-paths: the authorized_keys step", () => {
  test("as declared, it passes every policy of the pack", async () => {
    const graph = withStep();
    assert.equal(isConfinedKeysStep(find(graph, NAME).props), true);
    const found = (await runPolicyPack(allPolicies, graph)).filter((v) => v.urn === undefined || v.urn.endsWith(`::${NAME}`));
    assert.deepEqual(found.map((v) => `${v.policy}: ${v.message}`), []);
  });

  test("without its confinement the same mount is refused: root, a capability, a network, a writable root, privilege gain", async () => {
    for (const change of [
      { user: "0:0" },
      { user: "1001:1001" },
      { capabilities: { drops: ["ALL"], adds: ["CAP_DAC_OVERRIDE"] } },
      { capabilities: undefined },
      { networkMode: "bridge" },
      { readOnly: false },
      { securityOpts: [] },
      { privileged: true },
    ]) {
      assert.deepEqual(await messages(containerNoSensitiveHostPaths, withStep(change)), [refusal], JSON.stringify(change));
    }
  });

  test("only /home/deploy/.ssh: the home above it, another user's keys, or /etc stay refused for the step too", async () => {
    for (const hostPath of ["/home/deploy", "/home/other/.ssh", "/root/.ssh", "/etc"]) {
      const found = await messages(containerNoSensitiveHostPaths, withStep({ volumes: [{ hostPath, containerPath: KEYS_MOUNT }] }));
      assert.equal(found.length, 1, hostPath);
      assert.match(found[0] ?? "", new RegExp(`binds host path "${hostPath}".*mount an app directory such as /data/repos instead`), hostPath);
    }
  });

  test("the label is what opens it: web binding /home/deploy/.ssh is refused as any sensitive path", async () => {
    const graph = setProps(productionGraph(), "docstown-web", { volumes: [{ hostPath: DEPLOY_SSH_DIR, containerPath: "/keys" }] });
    assert.deepEqual(await messages(containerNoSensitiveHostPaths, graph), [
      `container "docstown-web" binds host path "${DEPLOY_SSH_DIR}" (in /home) through volumes[0]; it hands the container the host's system files, mount an app directory such as /data/repos instead (CIS Docker 5.5)`,
    ]);
  });
});
