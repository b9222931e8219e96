// What the real CLI does to a refresh when a provider needs a file the program writes, and to a
// grant's beforeCreate hook. The postgresql plugin cannot be built here, so a dynamic resource
// (the Node SDK's pulumi-nodejs provider, a separate process like any plugin) stands in: its Read
// opens a path kept in the state, as the postgresql provider opens `sslrootcert` on every grant
// read, and the program writes that file at run time, as src/database/ca-file.ts does.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CA_FILE_HINT } from "../../src/database/ca-file";
import { engineTest } from "./engine-test";
import { smokeProject, type SmokeProject } from "./smoke-program";

/** The SDK's dynamic provider as the CLI distribution ships it: a script named like a plugin. */
function dynamicProviderOnPath(project: SmokeProject): string {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-dynamic-bin-"));
  const script = path.join(bin, "pulumi-resource-pulumi-nodejs");
  fs.writeFileSync(script, "#!/bin/sh\nexec node ./node_modules/@pulumi/pulumi/cmd/dynamic-provider \"$@\"\n", { mode: 0o755 });
  project.env.PATH = `${bin}${path.delimiter}${project.env.PATH ?? ""}`;
  return bin;
}

/** Runs `pulumi <args>`; the output, and whether it succeeded. */
function attempt(project: SmokeProject, args: readonly string[], env: Record<string, string> = {}): { ok: boolean; output: string } {
  const saved = { ...project.env };
  Object.assign(project.env, env);
  try {
    return { ok: true, output: project.pulumi(args) };
  } catch (error) {
    return { ok: false, output: (error as Error).message };
  } finally {
    for (const key of Object.keys(env)) delete project.env[key];
    Object.assign(project.env, saved);
  }
}

const CA_PROGRAM = `
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";

// Stands in for the postgresql provider: every read opens the CA file named in the state.
const reader: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: "grant", outs: inputs };
  },
  async read(id, props) {
    const fs2 = require("node:fs");
    fs2.readFileSync(props.sslrootcert, "utf8"); // throws "ENOENT: no such file or directory, open '<path>'"
    return { id, props };
  },
};
class Grant extends pulumi.dynamic.Resource {
  constructor(name: string, args: { sslrootcert: pulumi.Input<string> }) {
    super(reader, name, args, {});
  }
}

// Stands in for getDatabaseCa + writeCaFile: the path is known, and the file written, only when
// the program runs.
const pem = pulumi.output("-----BEGIN CERTIFICATE-----\\nQUFBQQ==\\n-----END CERTIFICATE-----\\n");
const caPath = pem.apply((p) => {
  const file = process.env.CA_DIR + "/docstown-database-ca-0123456789abcdef." + process.env.CA_HINT + ".crt";
  fs.writeFileSync(file, p);
  return file;
});
new Grant("grant", { sslrootcert: caPath });
`;

engineTest("a refresh reads with a file the program writes only with --run-program; up --refresh too", ["pulumi-language-nodejs"], (binDir) => {
  const project = smokeProject(binDir, "refresh-run-program", [], CA_PROGRAM);
  const bin = dynamicProviderOnPath(project);
  const caDir = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-ca-dir-"));
  project.env.CA_DIR = caDir;
  project.env.CA_HINT = CA_FILE_HINT;
  const caFile = () => fs.readdirSync(caDir);
  const freshMachine = () => {
    for (const f of caFile()) fs.rmSync(path.join(caDir, f));
  };
  try {
    project.pulumi(["stack", "init", "dev"]);
    project.pulumi(["up", "--yes", "--skip-preview"]);
    assert.equal(caFile().length, 1, "the up wrote the CA file");

    // Plain refresh on a fresh machine: the providers come from the state, the program never runs.
    freshMachine();
    const plain = attempt(project, ["refresh", "--yes"]);
    assert.equal(plain.ok, false, plain.output);
    assert.match(plain.output, new RegExp(`no such file or directory, open '[^']*\\.${CA_FILE_HINT.replace(/[.-]/g, "\\$&")}\\.crt'`), "the error names the path, and the path the flag");
    assert.deepEqual(caFile(), [], "the program did not run");

    // Every form the repository uses, on a fresh machine each time.
    const forms: [string, string[], Record<string, string>][] = [
      ["runbook (rotate-secret)", ["refresh", "--yes", "--run-program"], {}],
      ["drift job", ["refresh", "--run-program", "--preview-only", "--expect-no-changes", "--diff"], {}],
      ["interrupted-deploy recovery", ["refresh", "--clear-pending-creates", "--yes", "--run-program"], {}],
      ["replace-droplet", ["up", "--yes", "--refresh", "--run-program"], {}],
      ["PULUMI_RUN_PROGRAM=true in the shell", ["refresh", "--yes"], { PULUMI_RUN_PROGRAM: "true" }],
    ];
    for (const [what, args, env] of forms) {
      freshMachine();
      const run = attempt(project, args, env);
      assert.ok(run.ok, `${what}: pulumi ${args.join(" ")} failed:\n${run.output}`);
      assert.equal(caFile().length, 1, `${what}: the program ran and wrote the file before the read`);
    }

    // up --refresh without the flag refreshes from the state before the program runs.
    freshMachine();
    const upRefresh = attempt(project, ["up", "--yes", "--refresh"]);
    assert.equal(upRefresh.ok, false, upRefresh.output);
    assert.match(upRefresh.output, /no such file or directory/);
  } finally {
    project.cleanup();
    fs.rmSync(bin, { recursive: true, force: true });
    fs.rmSync(caDir, { recursive: true, force: true });
  }
});

const HOOK_PROGRAM = `
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";

const dir = process.env.MARKER_DIR as string;
// Stands in for a grant: its create fails unless the wait before it is over.
const grantProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    const fs2 = require("node:fs");
    if (!fs2.existsSync(inputs.dir + "/accepted")) throw new Error("error connecting to PostgreSQL server: the hook did not wait");
    return { id: "grant", outs: inputs };
  },
};
class Grant extends pulumi.dynamic.Resource {
  constructor(name: string, args: { dir: string }, opts: pulumi.CustomResourceOptions) {
    super(grantProvider, name, args, opts);
  }
}
const wait = new pulumi.ResourceHook("cluster-accepts-connections", async () => {
  fs.appendFileSync(dir + "/hook-runs", "x");
  if (process.env.HOOK_FAILS === "1") throw new Error("db.example:25060 did not accept a PostgreSQL connection from this machine within 5 min");
  await new Promise((resolve) => setTimeout(resolve, 1500));
  fs.writeFileSync(dir + "/accepted", "");
});
new Grant("grant", { dir }, { hooks: { beforeCreate: [wait] } });
`;

engineTest("a beforeCreate hook holds the create until it is done, fails it with its message, runs only on a create", ["pulumi-language-nodejs"], (binDir) => {
  const project = smokeProject(binDir, "grant-hook", [], HOOK_PROGRAM);
  const bin = dynamicProviderOnPath(project);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-hook-"));
  project.env.MARKER_DIR = dir;
  const runs = () => (fs.existsSync(path.join(dir, "hook-runs")) ? fs.readFileSync(path.join(dir, "hook-runs"), "utf8").length : 0);
  try {
    project.pulumi(["stack", "init", "dev"]);
    project.pulumi(["preview"]);
    assert.equal(runs(), 0, "no hook in a preview");

    const failing = attempt(project, ["up", "--yes", "--skip-preview"], { HOOK_FAILS: "1" });
    assert.equal(failing.ok, false);
    assert.match(failing.output, /before hook "cluster-accepts-connections" failed: .*did not accept a PostgreSQL connection from this machine within 5 min/);
    const state = JSON.parse(project.pulumi(["stack", "export"])) as { deployment: { resources?: { type: string }[] } };
    assert.ok(!(state.deployment.resources ?? []).some((r) => r.type === "pulumi-nodejs:dynamic:Resource"), "nothing was created");

    project.pulumi(["up", "--yes", "--skip-preview"]);
    assert.equal(runs(), 2, "the hook ran before the create, which found the wait over");
    project.pulumi(["up", "--yes", "--skip-preview"]);
    project.pulumi(["refresh", "--yes", "--run-program"]);
    assert.equal(runs(), 2, "nothing created: no hook on a later up or a refresh");
  } finally {
    project.cleanup();
    fs.rmSync(bin, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
