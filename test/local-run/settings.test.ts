import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LocalError } from "../../engine/local/errors";
import { defaultStateDir, parseOverrides, readSettings } from "../../engine/local/settings";

const exit2 = (pattern: RegExp) => (err: unknown) => err instanceof LocalError && err.exitCode === 2 && pattern.test(err.message) && !err.message.includes("\n");

describe("local:up settings from the environment", () => {
  it("keeps state under XDG_STATE_HOME, else ~/.local/state", () => {
    assert.equal(defaultStateDir({ XDG_STATE_HOME: "/x/state" }, "/home/u"), "/x/state/docstown/local");
    assert.equal(defaultStateDir({}, "/home/u"), "/home/u/.local/state/docstown/local");
    assert.equal(defaultStateDir({ XDG_STATE_HOME: "relative" }, "/home/u"), "/home/u/.local/state/docstown/local");
  });

  it("takes the state dir, overrides and quiet mode from DOCSTOWN_LOCAL_*", () => {
    const settings = readSettings(
      { DOCSTOWN_LOCAL_STATE_DIR: "run/state", DOCSTOWN_LOCAL_CONFIG: '{"local.httpsPort": 19443, "docstown:app.tag": "2"}', DOCSTOWN_LOCAL_QUIET: "1" },
      "/home/u",
      "/work",
    );
    assert.deepEqual(settings, { stateDir: "/work/run/state", overrides: { "local.httpsPort": 19443, "app.tag": "2" }, quiet: true });
  });

  it("refuses overrides that are not a JSON object of docstown paths, one line each", () => {
    assert.throws(() => parseOverrides("{local.httpsPort: 1}"), exit2(/^DOCSTOWN_LOCAL_CONFIG must be a JSON object/));
    assert.throws(() => parseOverrides("[1]"), exit2(/must be a JSON object/));
    assert.throws(() => parseOverrides('{"local..x": 1}'), exit2(/is not a docstown config path/));
    assert.throws(() => parseOverrides('{"local.httpsPort": [1]}'), exit2(/must be a string, number or boolean/));
    assert.throws(() => parseOverrides('{"target": "digitalocean"}'), exit2(/target is always local/));
  });

  it("refuses secrets, which would sit in the stack file in plain text", () => {
    assert.throws(() => parseOverrides('{"railsMasterKey": "x"}'), exit2(/docstown:railsMasterKey is a secret/));
  });
});
