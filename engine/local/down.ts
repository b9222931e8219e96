// `npm run local:down`: `pulumi destroy` of the local stack. The volumes the program marks
// retainOnDelete (the repository clone, the proxy's CA) are skipped by the engine itself, with
// no flag needed; this says which ones were kept and how to remove them for good.
import * as fs from "node:fs";
import * as path from "node:path";
import { whichDir } from "../locate";
import { pulumiEnv, prepareState, saltFromExport, stackNames } from "./backend";
import { dockerCheck, dockerEnv, readCommitted, type Context } from "./context";
import { locate, readyEngine } from "./engine";
import { PreflightError } from "./errors";
import { downSummary, retainedVolumes } from "./outputs";
import { goProblem } from "./preflight";
import { runCommand } from "./probes";
import { deploy, exportStack, listStacks, STACK, type PulumiCli } from "./pulumi";
import { generatedStackFile } from "./stack-config";

export async function down(ctx: Context): Promise<void> {
  const { layout, settings } = ctx;
  if (!fs.existsSync(layout.backend)) {
    process.stdout.write(`local: down: no local stack state in ${layout.dir}; nothing to take down\n`);
    return;
  }
  const committed = readCommitted(ctx);
  const docker = dockerEnv(ctx, committed);
  const problems: string[] = [];
  const dockerIssue = dockerCheck(docker);
  if (dockerIssue) problems.push(dockerIssue);
  const located = locate(ctx.repoRoot, ctx.env.PATH);
  const goIssue = goProblem(located.found ? [] : [`the Pulumi engine (${located.missing.join(", ")})`], whichDir("go", ctx.env.PATH) !== undefined);
  if (goIssue) problems.push(goIssue);
  if (problems.length > 0) throw new PreflightError(problems);

  prepareState(layout, "docstown");
  const engine = await readyEngine(located, ctx.repoRoot, ctx.env, ctx.say, settings.quiet ? path.join(layout.logs, "engine.log") : undefined);
  const cli: PulumiCli = { binDir: engine.binDir, env: pulumiEnv(layout, engine.binDir, docker), layout, repoRoot: ctx.repoRoot, quiet: settings.quiet };
  if (!stackNames(listStacks(cli)).includes(STACK)) {
    process.stdout.write(`local: down: no ${STACK} stack in ${layout.backend}; nothing to take down\n`);
    return;
  }
  const exported = exportStack(cli);
  const kept = retainedVolumes(exported);
  // destroy runs no program, so the committed settings and the salt are all its config needs
  // when the generated file is gone; an existing one (with the secrets) is used as it is.
  if (!fs.existsSync(layout.configFile)) {
    fs.writeFileSync(layout.configFile, generatedStackFile(committed, saltFromExport(exported), undefined).text, { mode: 0o600 });
  }
  ctx.say(`pulumi destroy --stack ${STACK} --config-file ${layout.configFile}`);
  await deploy(cli, "destroy");
  const present = new Set(kept.filter((volume) => runCommand("docker", ["volume", "inspect", volume], docker).status === 0));
  process.stdout.write(`${downSummary(kept, present).join("\n")}\n`);
}
