// Restarts this machine's Docker daemon the way it runs here: through systemd where it manages
// docker, else the dockerd .ci/run started by hand (stopped with SIGTERM, started again alike).
import { execFileSync, spawn, spawnSync } from "node:child_process";

function answers(): boolean {
  return spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 10_000 }).status === 0;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function restartDockerDaemon(): void {
  if (spawnSync("systemctl", ["is-active", "--quiet", "docker"]).status === 0) {
    execFileSync("systemctl", ["restart", "docker"], { stdio: "ignore" });
  } else {
    const pids = spawnSync("pidof", ["dockerd"], { encoding: "utf8" }).stdout.trim().split(/\s+/).filter(Boolean);
    if (pids.length === 0) throw new Error("no dockerd process to restart");
    for (const pid of pids) process.kill(Number(pid), "SIGTERM");
    for (let i = 0; i < 600 && spawnSync("pidof", ["dockerd"]).status === 0; i++) sleep(100);
    const child = spawn("dockerd", [], { detached: true, stdio: "ignore" });
    child.unref();
  }
  for (let i = 0; i < 60; i++) {
    if (answers()) return;
    sleep(1000);
  }
  throw new Error("dockerd did not answer within 60 s of its restart");
}
