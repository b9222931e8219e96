// `npm run ops -- <command>`: day-two operations on a deployed stack (see USAGE in ./args.ts and
// README, Operations). Exit 0 done, 2 something to fix first (one `ops: ...` line), 1 a command
// that ran failed; exec and console end with the command's own exit code.
import { exitWhenWritten } from "../cli/exit";
import { parseArgs, USAGE } from "./args";
import { OpsError } from "./errors";
import { logs, oneOff, ps, type Io } from "./run";
import { resolveTarget } from "./stack";

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args === "help") {
      io.out(USAGE);
      return 0;
    }
    const target = await resolveTarget(args.stack, env);
    switch (args.command) {
      case "ps":
        return await ps(target, args, io);
      case "logs":
        return await logs(target, args, io);
      default:
        return await oneOff(target, args, io);
    }
  } catch (err) {
    if (!(err instanceof OpsError)) throw err;
    io.err(`ops: ${err.message}`);
    return err.exitCode;
  }
}

if (require.main === module) {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
  const io: Io = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
  };
  main(process.argv.slice(2), process.env, io).then(
    (code) => exitWhenWritten(code),
    (err: unknown) => {
      process.stderr.write(`ops: unexpected failure: ${err instanceof Error ? err.message : String(err)}\n`);
      return exitWhenWritten(1);
    },
  );
}
