// `npm run local:up`: preflight, then whatever must be built (engine, demo images), then the
// stack's backend and config, `pulumi up`, and the URL with the CA to trust.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineWithPlugins } from "../locate";
import { whichDir } from "../locate";
import { pulumiEnv, prepareState, saltFromExport, stackNames } from "./backend";
import { dockerCheck, dockerEnv, readCommitted, type Context } from "./context";
import { locate, readyEngine } from "./engine";
import { LocalError, PreflightError } from "./errors";
import { buildPlan, caddyVersion, demoSettings, installedPostgresMajors, postgresMajor } from "./images";
import { parseOutputs, upSummary } from "./outputs";
import { goProblem, ownProxyPorts, portProblem } from "./preflight";
import { builtPostgresTags, missingImages, portBusy, proxyContainerPorts } from "./probes";
import { deploy, exportStack, initStack, listStacks, setSecret, stackOutputs, STACK, type PulumiCli } from "./pulumi";
import { step } from "./run";
import { GENERATED_SECRETS, generatedStackFile, validatedLocalConfig, withSettings, type ConfigMap } from "./stack-config";

interface UpPlan {
  readonly config: ConfigMap;
  readonly engine: EngineWithPlugins;
  readonly demoBuildArgs?: readonly string[];
  readonly dockerEnv: NodeJS.ProcessEnv;
}

/** Every check before anything starts; all problems at once, one line each (exit 2). */
async function preflight(ctx: Context): Promise<UpPlan> {
  const problems: string[] = [];
  const committed = readCommitted(ctx);
  const docker = dockerEnv(ctx, committed);
  const dockerIssue = dockerCheck(docker);
  if (dockerIssue) problems.push(dockerIssue);

  const caddy = caddyVersion(fs.readFileSync(path.join(ctx.repoRoot, "demo", "caddy", "go.mod"), "utf8"));
  const pgMajor = postgresMajor(installedPostgresMajors(), dockerIssue ? [] : builtPostgresTags(docker));
  // The overrides come last: a test (or a user) may point the stack at other images or ports.
  const config = withSettings(committed, { ...demoSettings(caddy, pgMajor), ...ctx.settings.overrides });
  let settings;
  try {
    settings = validatedLocalConfig(config);
  } catch (err) {
    if (!(err instanceof LocalError)) throw err;
    problems.push(...err.message.split("\n"));
  }

  const toBuild: string[] = [];
  const engine = locate(ctx.repoRoot, ctx.env.PATH);
  if (!engine.found) toBuild.push(`the Pulumi engine (${engine.missing.join(", ")})`);

  let demoBuildArgs: readonly string[] | undefined;
  if (settings && !dockerIssue) {
    const remote = docker.DOCKER_HOST !== undefined && !docker.DOCKER_HOST.startsWith("unix://");
    if (!remote) {
      const ours = ownProxyPorts(proxyContainerPorts(docker));
      for (const [key, port] of [["local.httpPort", settings.local.httpPort], ["local.httpsPort", settings.local.httpsPort]] as const) {
        const problem = portProblem(key, port, await portBusy(port), ours);
        if (problem) problems.push(problem);
      }
    }
    if (settings.local.imageSource === "daemon") {
      const refs = { app: `${settings.app.image}:${settings.app.tag}`, postgres: settings.local.postgresImage, proxy: settings.app.proxyImage };
      const plan = buildPlan(refs, missingImages(Object.values(refs), docker), caddy, pgMajor);
      for (const ref of plan.foreign) {
        problems.push(`image ${ref} is not in the Docker engine and local.imageSource is daemon: build it (docker build -t ${ref} .) or pick another image`);
      }
      if (plan.args) toBuild.push(`the demo images (demo/build.sh ${plan.args.join(" ")})`);
      demoBuildArgs = plan.args;
    }
  }
  const goIssue = goProblem(toBuild, whichDir("go", ctx.env.PATH) !== undefined);
  if (goIssue) problems.push(goIssue);
  if (problems.length > 0) throw new PreflightError(problems);
  return { config, engine, dockerEnv: docker, ...(demoBuildArgs ? { demoBuildArgs } : {}) };
}

/** The CA root out of the proxy container; Caddy writes it just after it starts, so retry briefly. */
async function copyCa(container: string, caPath: string, dest: string, env: NodeJS.ProcessEnv): Promise<void> {
  let last = "";
  for (let attempt = 0; attempt < 10; attempt++) {
    const run = spawnSync("docker", ["cp", `${container}:${caPath}`, dest], { env, encoding: "utf8" });
    if (run.status === 0) return;
    last = (run.stderr || run.error?.message || "").trim().split("\n")[0] ?? "";
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new LocalError(`the stack is up but its CA root could not be copied (docker cp ${container}:${caPath}: ${last})`);
}

export async function up(ctx: Context): Promise<void> {
  const plan = await preflight(ctx);
  const { layout, settings } = ctx;
  prepareState(layout, "docstown");
  const log = (name: string) => (settings.quiet ? path.join(layout.logs, `${name}.log`) : undefined);

  const engine = await readyEngine(plan.engine, ctx.repoRoot, ctx.env, ctx.say, log("engine"));
  if (plan.demoBuildArgs) {
    ctx.say(`building demo images (demo/build.sh ${plan.demoBuildArgs.join(" ")}): seconds when Go's caches are warm, about 17 min cold on 2 cores`);
    const logFile = log("demo-images");
    await step("demo/build.sh", "bash", [path.join(ctx.repoRoot, "demo", "build.sh"), ...plan.demoBuildArgs], {
      cwd: ctx.repoRoot,
      env: plan.dockerEnv,
      ...(logFile ? { logFile } : {}),
    });
  }

  const cli: PulumiCli = { binDir: engine.binDir, env: pulumiEnv(layout, engine.binDir, plan.dockerEnv), layout, repoRoot: ctx.repoRoot, quiet: settings.quiet };
  if (!stackNames(listStacks(cli)).includes(STACK)) {
    ctx.say(`creating stack ${STACK} on the file backend in ${layout.backend}`);
    initStack(cli);
  }
  const previous = fs.existsSync(layout.configFile) ? fs.readFileSync(layout.configFile, "utf8") : undefined;
  const file = generatedStackFile(plan.config, saltFromExport(exportStack(cli)), previous);
  fs.writeFileSync(layout.configFile, file.text, { mode: 0o600 });
  for (const key of file.missingSecrets) {
    ctx.say(`generating docstown:${key} (kept encrypted in ${layout.configFile})`);
    setSecret(cli, `docstown:${key}`, GENERATED_SECRETS[key]?.() ?? "");
  }

  ctx.say(`pulumi up --stack ${STACK} --config-file ${layout.configFile}`);
  await deploy(cli, "up");

  const outputs = parseOutputs(stackOutputs(cli));
  if (outputs.proxyContainer === undefined || outputs.caPath === undefined) {
    process.stdout.write(`local: up: ${outputs.url}\n`);
    throw new LocalError("the stack is up but names no proxyContainer/caPath output, so its CA root cannot be copied");
  }
  await copyCa(outputs.proxyContainer, outputs.caPath, layout.caFile, plan.dockerEnv);
  process.stdout.write(`${upSummary(outputs.url, layout.caFile).join("\n")}\n`);
}
