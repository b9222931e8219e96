// The one error type of `npm run ops`: a message printed as a single `ops: ...` line and the exit
// code (2: something for the operator to fix first, such as a stack that is not deployed, an
// unknown role, no key in ssh-agent, an unreachable host; 1: a command that ran failed).
export class OpsError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}
