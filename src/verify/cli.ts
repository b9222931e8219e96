/**
 * `npm run verify -- ...`: the post-deploy checklist. Exit 0 when every check passes, 1 when
 * any fails, 2 on bad flags or a bad stack file.
 */
import { exitWhenWritten } from "../cli/exit";
import { parseCliArgs, USAGE, UsageError } from "./args";

export async function main(argv: readonly string[]): Promise<number> {
  let cli;
  try {
    cli = parseCliArgs(argv, process.env, process.cwd());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`verify: ${error.message}\n`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // The checks (and what they load) only now: --help and a bad flag are answered without them.
  const { formatReport, runVerify } = await import("./checklist");
  const report = await runVerify(cli.verify);
  process.stdout.write(cli.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report).join("\n")}\n`);
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => exitWhenWritten(code),
    (error: unknown) => {
      process.stderr.write(`verify: ${error instanceof Error ? error.message : String(error)}\n`);
      return exitWhenWritten(1);
    },
  );
}
