// Where ops runs its commands: the local Docker engine, or the droplet over the SSH path the
// deploy uses (`deploy@<publicIp>`, the provider's options, the droplet's host key pinned).
//
// Over SSH the remote side gets one string that its login shell splits again, so every word is
// quoted here. What goes on that line is only ever a docker/journalctl command with ids, labels
// and the operator's own command: environment values travel in request bodies through
// `docker system dial-stdio` (./engine-api.ts), never on a command line on the host.
import { dockerSshOptions } from "../app/docker-host";
import { DEPLOY_USER } from "../server/cloud-init";

export type Host =
  | { readonly kind: "local"; readonly env: NodeJS.ProcessEnv }
  | { readonly kind: "ssh"; readonly address: string; readonly sshOptions: readonly string[]; readonly env: NodeJS.ProcessEnv };

export function sshHost(address: string, knownHostsLine: string, env: NodeJS.ProcessEnv): Host {
  return { kind: "ssh", address, sshOptions: dockerSshOptions(knownHostsLine), env };
}

/** One word for a POSIX shell: as it is when it cannot be misread, else in single quotes. */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface Invocation {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The process that runs `argv` on the host. `tty`: a terminal for an interactive command (ssh -t),
 * otherwise none (ssh -T), so binary output such as an archive passes through unchanged.
 */
export function onHost(host: Host, argv: readonly string[], tty = false): Invocation {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("onHost: empty command");
  if (host.kind === "local") return { file, args, env: host.env };
  return {
    file: "ssh",
    args: [...host.sshOptions, tty ? "-t" : "-T", `${DEPLOY_USER}@${host.address}`, argv.map(shellQuote).join(" ")],
    env: host.env,
  };
}

/** The command line as a person would paste it (for messages and tests). */
export function pasteable(inv: Invocation): string {
  return [inv.file, ...inv.args].map(shellQuote).join(" ");
}
