import { createHash } from "node:crypto";

/**
 * OpenSSH's SHA256 fingerprint of a public key line (`SHA256:` and the unpadded base64 of the
 * SHA-256 of the key data), as `ssh-add -l` and `ssh-keygen -lf key.pub` print it: how an operator
 * names the key `pulumi up` connects with (docstown:operators.deployKey).
 */
export function sshKeyFingerprint(line: string): string {
  const data = line.trim().split(/\s+/)[1] ?? "";
  return `SHA256:${createHash("sha256").update(Buffer.from(data, "base64")).digest("base64").replace(/=+$/, "")}`;
}

/** The shape of such a fingerprint: 43 base64 characters (256 bits, no padding). */
export const SSH_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
