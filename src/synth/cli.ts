import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { exitWhenWritten } from "../cli/exit";
import { ConfigError } from "../config/errors";
import { StackFileError } from "./stack-file";
import type { GraphDocument } from "./compare";

const USAGE = "usage: npm run synth -- --stack <name> [--config <file>] [--placeholder-secrets] [--json | --compare <earlier.json>]";

/** Exit codes: 0 rendered and compliant, 1 a mandatory policy violation, 2 bad input. */
async function main(argv: string[]): Promise<number> {
  let values: { stack?: string; config?: string; "placeholder-secrets"?: boolean; json?: boolean; compare?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        config: { type: "string" },
        "placeholder-secrets": { type: "boolean" },
        json: { type: "boolean" },
        compare: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`synth: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.stack) {
    process.stderr.write(`synth: --stack is required\n${USAGE}\n`);
    return 2;
  }
  let earlier: GraphDocument | undefined;
  if (values.compare !== undefined) {
    try {
      earlier = JSON.parse(readFileSync(values.compare, "utf8")) as GraphDocument;
      if (!Array.isArray(earlier.resources)) throw new Error("no resources");
    } catch {
      process.stderr.write(`synth: --compare: ${values.compare} is not a document written by synth --json\n`);
      return 2;
    }
  }
  try {
    // The program, the SDKs and the pack load only now: a bad flag is answered without them.
    const [{ synthesize }, { checkPolicies, policyConfigFor }, { toJson, toTable }, { compareGraphs, formatChanges }] = await Promise.all([
      import("./synthesize"),
      import("./policies"),
      import("./render"),
      import("./compare"),
    ]);
    const result = await synthesize({
      stack: values.stack,
      configFile: values.config,
      placeholderSecrets: values["placeholder-secrets"] ?? false,
    });
    const violations = await checkPolicies(result, policyConfigFor(result.config));
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
    const doc = toJson(result, violations);
    if (earlier !== undefined) process.stdout.write(`${formatChanges(compareGraphs(earlier, doc))}\n`);
    else if (values.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    else {
      const filled = result.placeholders.length > 0 ? `\nPlaceholder secrets: ${result.placeholders.join(", ")}\n` : "";
      process.stdout.write(`${toTable(result, violations)}\n${filled}`);
    }
    return mandatory.length > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.lines.join("\n")}\n`);
      return 2;
    }
    if (err instanceof StackFileError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => exitWhenWritten(code),
  (err: unknown) => {
    process.stderr.write(`synth: ${err instanceof Error ? err.message : String(err)}\n`);
    return exitWhenWritten(3);
  },
);
