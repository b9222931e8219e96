// A team change, rendered under the mocks and compared the way `npm run synth -- --compare` does:
// adding or removing an operator in docstown:operators.sshPublicKeys changes the authorized_keys
// step and nothing else (the droplet, its user-data, its DigitalOcean keys untouched); only a
// change of bootstrapSshPublicKeys reaches the droplet.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { compareGraphs, formatChanges, type GraphChange } from "../../src/synth/compare";
import { toJson } from "../../src/synth/render";
import { synthStack } from "../harness";
import { operators } from "../config/production-config";

const committedKey = (operators["sshPublicKeys"] as string[])[0] as string;
const bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGrdYdoP6xMv5M5zdsUZR/6ZzvkvoKuXwcz2oRltoNfC bob@docstown";
const render = async (change: Record<string, unknown> = {}) =>
  toJson(await synthStack("production", { "docstown:operators": JSON.stringify({ ...operators, ...change }) }), []);
type Doc = Awaited<ReturnType<typeof render>>;
const shortName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const STEP = "docstown-operators-authorized-keys";

function envOf(doc: Doc, name: string): string {
  const c = doc.resources.find((r) => shortName(r.urn) === name);
  return ((c?.inputs["envs"] ?? []) as string[]).find((e) => e.startsWith("AUTHORIZED_LINES=")) ?? "";
}

describe("operators.sshPublicKeys: a team change", () => {
  let committed: Doc;
  let joined: Doc;
  let joinChanges: GraphChange[];
  before(async () => {
    [committed, joined] = [await render(), await render({ sshPublicKeys: [committedKey, bob] })];
    joinChanges = compareGraphs(committed, joined);
  });

  test("an operator joining changes the authorized_keys step's list and nothing else", () => {
    assert.deepEqual(joinChanges.map((c) => [shortName(c.urn), c.keys]), [[STEP, ["envs"]]], formatChanges(joinChanges));
    assert.ok(envOf(joined, STEP).includes(bob));
    assert.ok(!envOf(committed, STEP).includes(bob));
  });

  test("the droplet keeps its user-data and DigitalOcean keys: the joining key is in neither", () => {
    const droplet = joined.resources.find((r) => r.type === "digitalocean:index/droplet:Droplet");
    assert.ok(droplet !== undefined);
    assert.ok(!String(droplet.inputs["userData"]).includes(bob.split(" ")[1] as string));
    assert.ok(String(droplet.inputs["userData"]).includes(committedKey.split(" ")[1] as string), "the bootstrap key is");
    assert.equal(joined.resources.filter((r) => r.type === "digitalocean:index/sshKey:SshKey").length, 1);
  });

  test("the operator leaving again changes the step alone, back to the committed list", () => {
    const leave = compareGraphs(joined, committed);
    assert.deepEqual(leave.map((c) => [shortName(c.urn), c.keys]), [[STEP, ["envs"]]], formatChanges(leave));
  });

  test("a change of the bootstrap keys is what reaches the droplet (a replacement, said so by --compare)", async () => {
    const rebooted = await render({ bootstrapSshPublicKeys: [committedKey, bob] });
    const changes = compareGraphs(committed, rebooted);
    const droplet = changes.find((c) => shortName(c.urn) === "docstown-droplet");
    assert.deepEqual(droplet?.keys, ["sshKeys", "userData"], formatChanges(changes));
    assert.equal(droplet?.replace?.order, "delete-first");
    // The step runs again on the new droplet (its host label), with the same list.
    const step = changes.find((c) => shortName(c.urn) === STEP);
    assert.deepEqual([step?.keys, Object.keys(step?.from ?? {})], [[], ["labels"]]);
  });
});
