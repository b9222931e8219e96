import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseCliArgs, UsageError } from "../../src/verify/args";
import { DKIM_KEY } from "./support/scenario";

let cwd: string;
before(() => {
  cwd = mkdtempSync(join(tmpdir(), "verify-args-"));
  const email = [
    "  docstown:email:",
    "    provider: postmark",
    '    mailerFrom: "DocsTown <notifications@docstown.org>"',
    "    dkimSelector: 20250101123456pm",
    `    dkimPublicKey: ${DKIM_KEY}`,
  ];
  writeFileSync(join(cwd, "Pulumi.production.yaml"), ["config:", "  docstown:domain: docstown.org", ...email, ""].join("\n"));
  writeFileSync(join(cwd, "Pulumi.nomail.yaml"), "config:\n  docstown:domain: docstown.org\n");
  writeFileSync(join(cwd, "Pulumi.local.yaml"), "config:\n  docstown:target: local\n  docstown:domain: localhost\n");
  writeFileSync(join(cwd, "Pulumi.nodomain.yaml"), "config:\n  docstown:region: nyc3\n");
  writeFileSync(
    join(cwd, "Pulumi.bad.yaml"),
    ["config:", "  docstown:domain: docstown.org", "  docstown:email:", "    provider: ses", "    mailerFrom: a@evil.example",
      "    region: us-east-1", "    dkimTokens: [one, two]", ""].join("\n"),
  );
  writeFileSync(join(cwd, "Pulumi.broken.yaml"), "config: [unclosed\n");
  writeFileSync(join(cwd, "not-a-cert.pem"), "hello\n");
});
after(() => rmSync(cwd, { recursive: true, force: true }));

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseCliArgs(argv, env, cwd);
const usage = (argv: string[], message: string, env: NodeJS.ProcessEnv = {}) =>
  assert.throws(() => parse(argv, env), (error: unknown) => error instanceof UsageError && error.message === message);

describe("parseCliArgs", () => {
  it("reads domain and email from Pulumi.<stack>.yaml", () => {
    const { verify } = parse(["--stack", "production"]);
    assert.equal(verify.stack, "production");
    assert.equal(verify.domain, "docstown.org");
    assert.equal(verify.email?.provider, "postmark");
    assert.equal(verify.email?.provider === "postmark" && verify.email.returnPathSubdomain, "pm-bounces");
    assert.equal(parse(["--stack", "nomail"]).verify.email, undefined);
    assert.deepEqual(parse(["--stack", "local"]).verify, { stack: "local", domain: "localhost" });
  });

  it("--help needs nothing else", () => {
    assert.deepEqual(parse(["--help"]), { verify: {}, json: false, help: true });
  });

  it("takes every documented flag, in both --flag value and --flag=value form", () => {
    const { verify, json } = parse([
      "--domain=docstown.test", "--url", "https://docstown.test/", "--resolver", "127.0.0.1:5353", "--timeout-ms", "2500",
      "--min-cert-days=7", "--health-url", "https://docstown.test/health", "--sentry-dsn", "http://k@127.0.0.1:9/1",
      "--connect-host", "127.0.0.1", "--https-port", "8443", "--http-port", "8080", "--json",
    ]);
    assert.equal(json, true);
    assert.deepEqual(verify, {
      domain: "docstown.test",
      url: "https://docstown.test/",
      resolver: "127.0.0.1:5353",
      timeoutMs: 2500,
      minCertDays: 7,
      healthUrl: "https://docstown.test/health",
      sentryDsn: "http://k@127.0.0.1:9/1",
      connectHost: "127.0.0.1",
      httpsPort: 8443,
      httpPort: 8080,
    });
  });

  it("falls back to $SENTRY_DSN, and the flag wins over it", () => {
    assert.equal(parse(["--url", "https://docstown.org"], { SENTRY_DSN: "https://abc@o1.ingest.sentry.io/42" }).verify.sentryDsn, "https://abc@o1.ingest.sentry.io/42");
    assert.equal(parse(["--domain", "docstown.org", "--sentry-dsn", "https://x@h/2"], { SENTRY_DSN: "https://abc@h/1" }).verify.sentryDsn, "https://x@h/2");
    usage(["--domain", "docstown.org"], "SENTRY_DSN: must be a Sentry DSN like https://<public key>@<host>/<project id>", { SENTRY_DSN: "nope" });
  });

  it("rejects bad flags with one line naming the flag", () => {
    usage([], "one of --stack, --domain or --url is required (see --help)");
    usage(["--bogus"], "unknown flag --bogus (see --help)");
    usage(["docstown.org"], 'unexpected argument "docstown.org" (flags start with --; see --help)');
    usage(["--domain"], "--domain needs a value");
    usage(["--domain", "--json"], "--domain needs a value");
    usage(["--domain", "a.org", "--domain", "b.org"], "--domain given twice");
    usage(["--json=yes"], "--json takes no value");
    usage(["--domain", "not a domain"], '--domain: must be a domain name like docstown.org (got "not a domain")');
    usage(["--url", "http://docstown.org"], '--url: must be an https:// URL (got "http://docstown.org")');
    usage(["--domain", "d.org", "--timeout-ms", "abc"], '--timeout-ms: must be an integer from 1 to 600000 (got "abc")');
    usage(["--domain", "d.org", "--https-port", "70000"], '--https-port: must be an integer from 1 to 65535 (got "70000")');
    usage(["--domain", "d.org", "--resolver", "dns.google"], '--resolver: must be an IP address with an optional port, like 1.1.1.1 or 127.0.0.1:5353 (got "dns.google")');
    usage(["--domain", "d.org", "--ca-file", join(cwd, "missing.pem")], `--ca-file: cannot read ${join(cwd, "missing.pem")} (ENOENT)`);
    usage(["--domain", "d.org", "--ca-file", join(cwd, "not-a-cert.pem")], `--ca-file: ${join(cwd, "not-a-cert.pem")} holds no PEM certificate`);
  });

  it("rejects a bad stack file with the key that is wrong", () => {
    usage(["--stack", "staging"], `--stack staging: Pulumi.staging.yaml not found in ${cwd}`);
    usage(["--stack", "../etc"], '--stack: "../etc" is not a stack name');
    usage(["--stack", "nodomain"], "Pulumi.nodomain.yaml: docstown:domain must be set to a domain name like docstown.org");
    assert.throws(() => parse(["--stack", "broken"]), /^UsageError: Pulumi\.broken\.yaml: not valid YAML/);
    usage(
      ["--stack", "bad"],
      "Pulumi.bad.yaml: docstown:email.dkimTokens: must have exactly 3 tokens (SES Easy DKIM hands out three); " +
        "docstown:email.mailerFrom: must be an address at docstown.org or a subdomain of it (got evil.example)",
    );
  });
});
