// The journal the local stack's journald driver writes to. On a systemd host it runs already; on
// a CI machine without systemd as PID 1 (like the Docker engine .ci/run starts by hand)
// systemd-journald is started here, as root, with the machine's own configuration.
//
// The socket's existence proves nothing: a journald that ran once and was killed leaves
// /run/systemd/journal/socket behind, and dockerd then refuses the driver ("journald is not
// enabled on this host"). So a journald counts as running only when it takes a message.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";

const BINARY = "/lib/systemd/systemd-journald";

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether a journald accepts a stream (systemd-cat fails with "Connection refused" otherwise). */
export function journaldAnswers(): boolean {
  const probe = spawnSync("systemd-cat", ["-t", "docstown-test", "true"], { stdio: "ignore", timeout: 5_000 });
  return probe.status === 0;
}

/** Undefined once a journald answers; otherwise why it cannot (the test is skipped with it). */
export function ensureJournald(): string | undefined {
  if (journaldAnswers()) return undefined;
  if (!fs.existsSync(BINARY)) return `no journald answers and ${BINARY} is not installed (apt-get install systemd)`;
  if (process.getuid?.() !== 0) return "no journald answers and starting one needs root";
  spawn(BINARY, [], { detached: true, stdio: "ignore" }).unref();
  for (let i = 0; i < 50; i++) {
    sleep(100);
    if (journaldAnswers()) return undefined;
  }
  return `${BINARY} started but takes no message after 5 s`;
}
