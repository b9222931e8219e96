// The production path differs from the local one only in the host: the command lines ops builds
// for SSH are the runbooks' old `ssh deploy@$IP docker …` pastes, with the options the Docker
// provider gets (batch mode, keep-alives, the droplet's host key pinned), each word quoted so
// that the remote shell splits the line back into exactly the argv meant (checked with real sh).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { dockerSshOptions } from "../../src/app/docker-host";
import { psArgv } from "../../src/ops/containers";
import { onHost, pasteable, shellQuote, sshHost } from "../../src/ops/host";
import { journalctlArgv } from "../../src/ops/journal";

const KNOWN = `203.0.113.7 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ`;
const host = sshHost("203.0.113.7", KNOWN, {});
const ID = "9442a00b45b74dfda1430d995b4ee2a69ac340bca0766c9ca093897705cbd3cf";

/** How the deploy user's shell on the droplet splits the remote line: real sh, NUL-separated words. */
function remoteWords(line: string): string[] {
  return execFileSync("sh", ["-c", `set -- ${line}; printf '%s\\0' "$@"`], { encoding: "utf8" }).split("\0").slice(0, -1);
}

/** `words` appear in `argv` in this order (other flags may sit between). */
function inOrder(argv: readonly string[], words: readonly string[]): boolean {
  let i = 0;
  for (const a of argv) if (a === words[i]) i++;
  return i === words.length;
}

// What the runbooks pasted before `npm run ops` (docs/*.md at 763c8f1), and what now replaces each.
const PASTES = [
  { paste: `ssh deploy@$IP docker ps --filter label=docstown.role=proxy --format '{{.Image}}\\t{{.Status}}'`, words: ["docker", "ps", "--filter", "label=docstown.role=proxy"], ours: psArgv("proxy", undefined) },
  { paste: `ssh deploy@$IP docker ps --format '{{.Names}}\\t{{.Status}}'`, words: ["docker", "ps"], ours: psArgv(undefined, undefined) },
  { paste: `ssh deploy@$IP "docker exec \\$(docker ps -q --filter label=docstown.role=proxy) caddy version"`, words: ["docker", "exec", ID, "caddy", "version"], ours: ["docker", "exec", "--interactive", ID, "caddy", "version"] },
  { paste: `ssh deploy@$IP docker exec "$WEB" ./bin/rails db:migrate:status`, words: ["docker", "exec", ID, "./bin/rails", "db:migrate:status"], ours: ["docker", "exec", "--interactive", ID, "./bin/rails", "db:migrate:status"] },
  { paste: `ssh deploy@$IP docker logs --since 10m "$PROXY"`, words: ["journalctl"], ours: journalctlArgv({ tag: "docstown-production", roles: ["proxy"], since: 1796469375, lines: 0, follow: false }) },
];

test("each old paste: same destination, the provider's SSH options, the remote command split back exactly", () => {
  for (const { paste, words, ours } of PASTES) {
    const inv = onHost(host, ours);
    assert.equal(inv.file, "ssh");
    const options = dockerSshOptions(KNOWN);
    assert.deepEqual(inv.args.slice(0, options.length), options, paste);
    assert.deepEqual(inv.args.slice(options.length, -1), ["-T", "deploy@203.0.113.7"], paste);
    const remote = inv.args[inv.args.length - 1] as string;
    assert.deepEqual(remoteWords(remote), ours, `${paste}: the remote shell splits ${remote} back into the argv`);
    assert.ok(inOrder(ours, words), `${paste}: ${ours.join(" ")} runs what the paste ran`);
  }
});

test("the host key is pinned as the Docker provider pins it; a TTY for interactive commands; the local host runs argv as it is", () => {
  const pasted = pasteable(onHost(host, ["docker", "start", "--attach", "--interactive", ID], true));
  assert.equal(
    pasted,
    `ssh -o BatchMode=yes -o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=8 -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null -o 'KnownHostsCommand=/bin/echo ${KNOWN}' -t deploy@203.0.113.7 'docker start --attach --interactive ${ID}'`,
  );
  const local = onHost({ kind: "local", env: { DOCKER_HOST: "unix:///run/docker.sock" } }, ["docker", "ps"]);
  assert.deepEqual([local.file, local.args, local.env.DOCKER_HOST], ["docker", ["ps"], "unix:///run/docker.sock"]);
});

test("quoting survives what an operator's command holds: spaces, quotes, $, globs, newlines, empty words", () => {
  const argv = ["sh", "-c", `echo "it's $HOME" * ; printf '%s' "$(id)"`, "", "a\nb", "--format={{.ID}}\t{{.Status}}"];
  assert.deepEqual(remoteWords(argv.map(shellQuote).join(" ")), argv);
});
