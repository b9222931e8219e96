/**
 * Raised when the stack configuration is invalid. Each line names one key and what is wrong,
 * in the form `docstown:<path>: <problem>`, so every problem can be fixed in one pass.
 */
export class ConfigError extends Error {
  readonly lines: readonly string[];

  constructor(lines: readonly string[]) {
    super(`invalid stack configuration:\n${lines.map((l) => `  ${l}`).join("\n")}`);
    this.name = "ConfigError";
    this.lines = lines;
  }
}
