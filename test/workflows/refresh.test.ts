// Every refresh the repository runs, runs the program. `pulumi refresh` and `pulumi up --refresh`
// configure providers from the state without it, so the postgresql provider's CA file (written by
// the program, src/database/ca-file.ts) is missing on a fresh machine and every grant read fails.
// `--run-program` (or PULUMI_RUN_PROGRAM=true) runs the program first; the real CLI shows the
// difference in test/engine/refresh-run-program.engine.test.ts.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { markdownInvocations, refreshInvocations, runsProgram, takesWorkingPath, type Invocation } from "./refresh-commands";

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");
const DOCS_DIR = path.join(ROOT, "docs");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

function workflowInvocations(): { invocation: Invocation; env: Record<string, unknown> }[] {
  const found: { invocation: Invocation; env: Record<string, unknown> }[] = [];
  for (const file of readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const doc = parse(readFileSync(path.join(WORKFLOW_DIR, file), "utf8")) as {
      env?: Record<string, unknown>;
      jobs?: Record<string, { env?: Record<string, unknown>; steps?: Step[] }>;
    };
    for (const [jobName, job] of Object.entries(doc.jobs ?? {})) {
      for (const step of job.steps ?? []) {
        const env = { ...doc.env, ...job.env, ...step.env };
        const where = `${file} ${jobName} "${step.name ?? step.uses ?? step.run ?? ""}"`;
        if (step.run !== undefined) {
          for (const invocation of refreshInvocations(step.run, where)) found.push({ invocation, env });
        }
        // The pulumi/actions action runs commands itself; a refresh through it has no place for the flag here.
        if (step.uses?.startsWith("pulumi/actions") && (step.with?.["command"] === "refresh" || step.with?.["refresh"] === true)) {
          found.push({ invocation: { where, command: `pulumi/actions command=${String(step.with?.["command"])} (no --run-program)` }, env: {} });
        }
      }
    }
  }
  return found;
}

const markdownFiles = [path.join(ROOT, "README.md"), ...readdirSync(DOCS_DIR).filter((f) => f.endsWith(".md")).sort().map((f) => path.join(DOCS_DIR, f))];

describe("the refresh finder", () => {
  test("finds refreshes, and only refreshes", () => {
    const commands = (shell: string) => refreshInvocations(shell, "t").map((i) => i.command);
    assert.deepEqual(commands("pulumi refresh --stack production --yes"), ["pulumi refresh --stack production --yes"]);
    assert.deepEqual(commands("pulumi up --stack production --policy-pack policies --refresh"), ["pulumi up --stack production --policy-pack policies --refresh"]);
    assert.deepEqual(commands("pulumi up -r --yes"), ["pulumi up -r --yes"]);
    assert.deepEqual(commands("pulumi preview --refresh=true"), ["pulumi preview --refresh=true"]);
    assert.deepEqual(commands("pulumi up --stack production \\\n  --refresh --yes"), ["pulumi up --stack production --refresh --yes"]);
    assert.deepEqual(commands("cd x && pulumi refresh --yes --stack \"$STACK\""), ["pulumi refresh --yes --stack \"$STACK\""]);
    assert.deepEqual(commands("PULUMI_RUN_PROGRAM=true pulumi refresh --yes"), ["PULUMI_RUN_PROGRAM=true pulumi refresh --yes"]);
    assert.deepEqual(commands("pulumi up --refresh=false --yes\npulumi up --yes\npulumi preview --diff\n# pulumi refresh in a comment"), []);
  });

  test("tells a refresh that runs the program from one that does not", () => {
    assert.equal(runsProgram("pulumi refresh --yes --run-program"), true);
    assert.equal(runsProgram("pulumi refresh --run-program=true"), true);
    assert.equal(runsProgram("PULUMI_RUN_PROGRAM=true pulumi refresh"), true);
    assert.equal(runsProgram("pulumi refresh", { PULUMI_RUN_PROGRAM: "true" }), true);
    assert.equal(runsProgram("pulumi refresh --yes"), false);
    assert.equal(runsProgram("pulumi refresh --run-program=false"), false);
    assert.equal(runsProgram("pulumi up --refresh --run-programs"), false);
    const [local] = refreshInvocations('pulumi refresh --yes --stack "$STACK" # local stack only: no postgresql provider', "t");
    assert.ok(local?.localOnly === true && takesWorkingPath(local));
    const [mislabelled] = refreshInvocations("pulumi refresh --yes --stack production # local stack only: no", "t");
    assert.equal(mislabelled && takesWorkingPath(mislabelled), false, "a production refresh is never exempt");
  });
});

describe("every refresh the repository runs, runs the program", () => {
  test("the workflows refresh somewhere (the drift job), and each such step runs the program", () => {
    const found = workflowInvocations();
    assert.ok(found.some((f) => f.invocation.where.startsWith("probe.yml drift")), `the drift job refreshes: ${JSON.stringify(found)}`);
    const without = found.filter((f) => !takesWorkingPath(f.invocation, f.env)).map((f) => `${f.invocation.where}: ${f.invocation.command}`);
    assert.deepEqual(without, []);
  });

  test("README and the runbooks: every refresh command in a code block or a code span has --run-program (or is the local stack's, marked)", () => {
    const found = markdownFiles.flatMap(markdownInvocations);
    for (const where of ["docs/replace-droplet.md", "docs/interrupted-deploy.md", "docs/rotate-secret.md", "README.md"]) {
      assert.ok(found.some((f) => f.where.startsWith(`${where}:`)), `${where} has a refresh command (the finder would miss a moved one)`);
    }
    const without = found.filter((f) => !takesWorkingPath(f)).map((f) => `${f.where}: ${f.command}`);
    assert.deepEqual(without, []);
  });
});
