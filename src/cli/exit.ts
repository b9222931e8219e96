/**
 * How the project's CLIs end: with the exit code they chose, after everything they wrote has
 * left the process.
 *
 * `process.exit` ends the process at once and drops what stdout or stderr still queue. When
 * either is a pipe, a write larger than the pipe's buffer (64 kB on Linux) takes what fits and
 * queues the rest until the reader catches up, so `synth --json | python3 …` lost its end. Here
 * the code is recorded first, then each stream's queue is waited for (the callback of an empty
 * write runs once every earlier write has been handed to the kernel), then the process exits,
 * which also ends anything left holding the event loop open (a runtime's handles, a socket).
 */

type Output = NodeJS.WriteStream;

/** Resolves when everything written to `stream` so far has left the process (or cannot: closed, failed). */
export function written(stream: Output): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded || stream.writableLength === 0) {
      resolve();
      return;
    }
    // A reader that went away (EPIPE) ends the wait too; the listener also keeps that from throwing.
    stream.once("error", () => resolve());
    stream.write("", () => resolve());
  });
}

/** Exits with `code` once stdout and stderr have written everything queued on them. */
export async function exitWhenWritten(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit(code);
}
