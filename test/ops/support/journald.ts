// The journal the local stack's journald driver writes to. On a systemd host it runs already; on
// a CI machine without systemd (like the Docker engine .ci/run starts by hand) systemd-journald
// is started here, as root, with the machine's own configuration.
import { spawn } from "node:child_process";
import * as fs from "node:fs";

const SOCKET = "/run/systemd/journal/socket";
const BINARY = "/lib/systemd/systemd-journald";

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Undefined once a journald answers; otherwise why it cannot (the test is skipped with it). */
export function ensureJournald(): string | undefined {
  if (fs.existsSync(SOCKET)) return undefined;
  if (!fs.existsSync(BINARY)) return `no journald (${SOCKET} absent, ${BINARY} not installed: apt-get install systemd)`;
  if (process.getuid?.() !== 0) return `no journald running (${SOCKET} absent) and starting one needs root`;
  spawn(BINARY, [], { detached: true, stdio: "ignore" }).unref();
  for (let i = 0; i < 50 && !fs.existsSync(SOCKET); i++) sleep(100);
  return fs.existsSync(SOCKET) ? undefined : `${BINARY} started but ${SOCKET} did not appear`;
}
