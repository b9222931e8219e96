/**
 * OpenSSH public keys made with `ssh-keygen` (OpenSSH 9.2) for these tests; their private halves
 * were deleted on the spot. Real keys, so the parser is checked against what the tool writes.
 */
export const KEYS = {
  ed25519: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEKiq5LTSI+85D+zwonUlnQkCngvqxqz45p0tarSBJ8K test-ed25519@docstown",
  ecdsa256:
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBF7KRTqD4V8sNq7vmfqYIJekp+xs62JAYUr51OhioQSzjEZ1yOTJkA3TQeyS2DIsJZm9iMKpVqyDih/YSh1IKiw= test-ecdsa-256@docstown",
  ecdsa384:
    "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBGLKdx0yrxjXoa9wB/paH2rElgjx4gRfsIXWxI3N0aUy3JnKZM4luEaEYobNjpNF8oT4eKRytqEoaQBXe5LhMn0VsgFZyWvxK8kaqB0T0mAi5QpDFfe6PTRB5cJSsXG4DQ== test-ecdsa-384@docstown",
  ecdsa521:
    "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAEusVW/1DG2n0ts0als+O5A/Hs6GYYm7bceiZEVTgZKULvFT66x7wSGgxPD5vaYAxAjnuYcb4JqLRLLjXcRPj5/fwBrANxs4JK/6u+ZvoDdvMv3Sk5ftzqvydEfoGb0NSKLvOn5sR3ak1NnDBB8rKdWEhRzE1j+utOQDQNS6GQkGSkK/Q== test-ecdsa-521@docstown",
  rsa2048:
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDMgNkTQ7g+m5NvcVxxgR/Cq5JfAFvqVZ9N0XwhhZtg9MAh9LsuCzVpc6qXLxx03gUYdwrzS/DW1Ey+zCLU8WgOKAWUDrnLS+42IL8HtUcxbdppe+eQeJW1fQ4jWRUBvDjVB53PSWGwwCjGeNiuiPr4aQJ2o1uJ+xNEMF9thIgjCh5RntVURstaegudtalJRjrRBiiZm+TwlEfdbepew239jpRJbD2HDjQQNucaDQ1nxGYlauOkboqRnRq/AdJZgzR0WyEVg/Z7psNgz0OXUyFPgAFdEJy5ke7Q4kwAD70VSH+i1rI5UGf3CO78ZEkDPLoIImkE6WhMXtVWaW2rhnOp test-rsa-2048@docstown",
  rsa1024:
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCxrsAk/cros2S4Ri5vRDW3r1izoaNT/cKeynrBud+nVZAIgsyUpwmbyqsnoYzBnUeFpSixnahG7kX32woOptNjsnumwEggHJreF0vGhM8Y9Opg//kQ+rEx4HakIsECQUS4z64EyN/ClDwFDVfWBnYtrP9ypJLMvbFKcD+a/xf0eQ== test-rsa-1024@docstown",
} as const;

/** The example key Pulumi.production.yaml shipped before: its key data stops short of 32 bytes. */
export const TRUNCATED_EXAMPLE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDocsTownOperatorKeyReplaceWithYoursxx operator@docstown";

/** The body of an OpenSSH public key: SSH strings (uint32 length + bytes), base64. */
export function keyData(...fields: (string | Buffer)[]): string {
  return Buffer.concat(
    fields.map((f) => {
      const bytes = typeof f === "string" ? Buffer.from(f, "latin1") : f;
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return Buffer.concat([length, bytes]);
    }),
  ).toString("base64");
}

/** The base64 body of a key line. */
export const body = (line: string): string => line.split(" ")[1] ?? "";
