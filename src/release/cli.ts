/**
 * `npm run release -- pin [--stack-file Pulumi.production.yaml] [--body-file <path>]`
 *
 * Reads the dispatch's payload from RELEASE_IMAGE and RELEASE_DIGEST (the workflow passes them
 * through the environment, never into a script), rewrites `docstown:app.digest` in the stack file
 * and writes `changed`, `branch`, `title` and `digest` lines for $GITHUB_OUTPUT on stdout.
 * Exit 0 when pinned or already pinned (`changed=false`), 1 when refused (the message says why),
 * 2 on bad usage.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { exitWhenWritten } from "../cli/exit";
import { pinRelease, pullRequestBody } from "./pin";

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const STDIO: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: Io = STDIO): number {
  const annotate = env["GITHUB_ACTIONS"] === "true";
  let values;
  try {
    const parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { "stack-file": { type: "string" }, "body-file": { type: "string" } } });
    if (parsed.positionals.length !== 1 || parsed.positionals[0] !== "pin") throw new Error("usage: npm run release -- pin [--stack-file <file>] [--body-file <file>]");
    values = parsed.values;
  } catch (error) {
    io.err(`release: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const stackFile = values["stack-file"] ?? "Pulumi.production.yaml";
  const payload = { image: env["RELEASE_IMAGE"], digest: env["RELEASE_DIGEST"] };
  const result = pinRelease(readFileSync(stackFile, "utf8"), payload);
  switch (result.kind) {
    case "refused":
      io.err(`${annotate ? "::error::" : ""}release: ${result.message}\n`);
      return 1;
    case "unchanged":
      io.err(`${annotate ? "::notice::" : ""}release: ${result.message}\n`);
      io.out("changed=false\n");
      return 0;
    case "pinned": {
      writeFileSync(stackFile, result.text);
      if (values["body-file"]) {
        const runUrl = env["GITHUB_RUN_ID"] ? `${env["GITHUB_SERVER_URL"] ?? "https://github.com"}/${env["GITHUB_REPOSITORY"] ?? ""}/actions/runs/${env["GITHUB_RUN_ID"]}` : undefined;
        writeFileSync(values["body-file"], pullRequestBody({ image: payload.image!, digest: payload.digest! }, result.previous, runUrl));
      }
      io.out(`changed=true\nbranch=${result.branch}\ntitle=${result.title}\ndigest=${payload.digest}\n`);
      return 0;
    }
  }
}

if (require.main === module) {
  let code = 1;
  try {
    code = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`release: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  void exitWhenWritten(code);
}
