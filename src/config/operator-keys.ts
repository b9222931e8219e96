import { SSH_FINGERPRINT, sshKeyFingerprint } from "./ssh-fingerprint";
import { sshPublicKeyProblem } from "./ssh-public-key";

/**
 * What keeps a change of the operators' keys from locking the deploy out: the key `pulumi up`
 * connects with (operators.deployKey) must stay in the list the running droplet gets, and in the
 * list a new droplet is created with. Checked on the config alone, before anything is declared.
 */

export interface OperatorKeys {
  readonly sshPublicKeys: readonly string[];
  readonly bootstrapSshPublicKeys?: readonly string[] | undefined;
  readonly deployKey: string;
}

export interface KeyIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

const holds = (keys: readonly string[], fingerprint: string) => keys.some((k) => sshKeyFingerprint(k) === fingerprint);
/** An empty list or a malformed key has its own message (one bad value, one line): no second one here. */
const judged = (keys: readonly string[]) => keys.length > 0 && keys.every((k) => sshPublicKeyProblem(k) === undefined);

export function operatorKeyIssues(o: OperatorKeys): KeyIssue[] {
  const issues: KeyIssue[] = [];
  // A malformed fingerprint has its own message; no list could hold it.
  const named = SSH_FINGERPRINT.test(o.deployKey);
  if (o.bootstrapSshPublicKeys === undefined) {
    issues.push({
      path: ["bootstrapSshPublicKeys"],
      message:
        "is required: the keys a new droplet is created with (its user-data; a change replaces the droplet). " +
        "For a droplet that exists, copy operators.sshPublicKeys as it was at its last pulumi up; for a new stack, the same list as sshPublicKeys",
    });
  } else if (named && judged(o.bootstrapSshPublicKeys) && !holds(o.bootstrapSshPublicKeys, o.deployKey)) {
    issues.push({
      path: ["bootstrapSshPublicKeys"],
      message: `holds no key with fingerprint ${o.deployKey} (operators.deployKey, the key pulumi up connects with): a new droplet would not let the deploy in`,
    });
  }
  if (named && judged(o.sshPublicKeys) && !holds(o.sshPublicKeys, o.deployKey)) {
    issues.push({
      path: ["sshPublicKeys"],
      message:
        `holds no key with fingerprint ${o.deployKey} (operators.deployKey, the key pulumi up connects with): this list replaces the running ` +
        "droplet's authorized_keys, so the deploy would lock itself out. Keep that key, or first make another key in the list the deploy key",
    });
  }
  return issues;
}

/** The bootstrap list of a validated config (validation refuses a config without it). */
export function bootstrapKeys(o: Pick<OperatorKeys, "bootstrapSshPublicKeys">): readonly string[] {
  if (o.bootstrapSshPublicKeys === undefined) throw new Error("docstown:operators.bootstrapSshPublicKeys: is required (the config was not validated)");
  return o.bootstrapSshPublicKeys;
}
