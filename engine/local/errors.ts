// The one error type of `npm run local:up` / `local:down`: a message the CLI prints as a single
// `local: ...` line, and the exit code it ends with (2: what the user must fix first, nothing
// was started; 1: a step that ran failed).
export class LocalError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** Several preflight problems at once, one line each: all of them are reported in one run. */
export class PreflightError extends LocalError {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"), 2);
  }
}
