/**
 * SSH options for the Docker provider's `ssh://` host (the Docker CLI's connection helper runs
 * the system `ssh` with them).
 *
 * When the server's readiness step has read the droplet's host key, it is pinned: ssh trusts that
 * key only (`KnownHostsCommand`, OpenSSH 8.5+), ignoring ~/.ssh/known_hosts. A replaced droplet
 * behind the same reserved IP then brings its new key along instead of failing with "remote host
 * identification has changed" (pulumi-docker #1293, #1106). Without a key, the first key seen is
 * accepted and remembered (`accept-new`), and a changed one is refused.
 */

/** `host ssh-ed25519 AAAA…`, the host in known_hosts form (`[127.0.0.1]:2222` for another port). */
export const KNOWN_HOSTS_LINE = /^[0-9A-Fa-f.:[\]]+ ssh-ed25519 AAAA[A-Za-z0-9+/]+={0,2}$/;

const COMMON = [
  "-o", "BatchMode=yes",
  "-o", "ConnectTimeout=20",
  // Long image pulls and migrations keep one connection busy; dead peers are still noticed.
  "-o", "ServerAliveInterval=15",
  "-o", "ServerAliveCountMax=8",
];

export function dockerSshOptions(knownHostsLine: string): string[] {
  const line = knownHostsLine.trim();
  if (line === "") return [...COMMON, "-o", "StrictHostKeyChecking=accept-new"];
  if (!KNOWN_HOSTS_LINE.test(line)) throw new Error(`not a known_hosts line for an ed25519 key: ${JSON.stringify(line)}`);
  return [
    ...COMMON,
    "-o", "StrictHostKeyChecking=yes",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", `KnownHostsCommand=/bin/echo ${line}`,
  ];
}
