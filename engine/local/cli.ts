// `npm run local:up` / `npm run local:down`: the local stack on this machine's Docker engine,
// with nothing but Docker (and Go when something has to be built) installed.
//
// Exit 0: done. Exit 2: something to fix first (one line each, nothing was started).
// Exit 1: a step that ran failed (its output is above, or its log is named).
import * as os from "node:os";
import * as path from "node:path";
import { makeContext } from "./context";
import { down } from "./down";
import { LocalError } from "./errors";
import { ENV, readSettings } from "./settings";
import { up } from "./up";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

export const USAGE = `usage: npm run local:up | npm run local:down   (engine/local/cli.ts up|down [--help])

local:up    builds what is missing (the Pulumi engine, the demo images), then pulumi up of the
            local stack on a file backend with a generated passphrase; prints the URL and how
            to trust the proxy's local CA
local:down  pulumi destroy of the local stack; names the volumes it keeps and how to remove them

environment:
  ${ENV.stateDir}   state dir (default \${XDG_STATE_HOME:-~/.local/state}/docstown/local)
  ${ENV.config}      JSON of docstown config paths, e.g. {"local.httpsPort": 9443}
  ${ENV.quiet}       1: only results and errors; tool output goes to <state dir>/logs/`;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== "up" && command !== "down") {
    process.stderr.write(`local: expected up or down${command ? `, not ${command}` : ""} (see --help)\n`);
    return 2;
  }
  if (rest.length > 0) {
    process.stderr.write(`local: unknown argument ${rest[0]} (only --help; settings are environment variables, see --help)\n`);
    return 2;
  }
  try {
    const ctx = makeContext(REPO_ROOT, readSettings(env, os.homedir(), process.cwd()), env);
    await (command === "up" ? up(ctx) : down(ctx));
    return 0;
  } catch (err) {
    if (!(err instanceof LocalError)) throw err;
    process.stderr.write(`${err.message.split("\n").map((line) => `local: ${line}`).join("\n")}\n`);
    return err.exitCode;
  }
}

if (require.main === module) {
  // A reader that stops early (| head) is not a failure of ours.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
  main(process.argv.slice(2), process.env).then(
    (code) => {
      // exitCode rather than exit(): stdout and stderr drain first when they are pipes.
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`local: unexpected failure: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
