// Keeps the runbooks in docs/ honest: every config key, npm script, CLI flag, stack output, URN,
// repository path and link they mention must exist in the code as it is.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { before, describe, test } from "node:test";
import { PLAIN_KEYS, localStackSchema, productionSchema } from "../../src/config/schema";
import { PROVIDER_CREDENTIALS, SECRET_KEYS, requiredSecretKeys, type SecretContext } from "../../src/config/secrets";
import { decodePlain } from "../../src/config/validate";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { readStackFile } from "../../src/synth/stack-file";
import { USAGE as OPS_USAGE } from "../../src/ops/args";
import { USAGE as VERIFY_USAGE } from "../../src/verify/args";
import { PROJECT_DIR, synthStack } from "../harness";
import { markdownInvocations, takesWorkingPath } from "../workflows/refresh-commands";

const DOCS_DIR = join(PROJECT_DIR, "docs");

interface Doc {
  readonly name: string;
  readonly path: string;
  readonly text: string;
}

function readDocs(): Doc[] {
  return readdirSync(DOCS_DIR)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((name) => ({ name, path: join(DOCS_DIR, name), text: readFileSync(join(DOCS_DIR, name), "utf8") }));
}

const docs = readDocs();

/** `where` for assertion messages: file and line of a match. */
function at(doc: Doc, index: number): string {
  return `${doc.name}:${doc.text.slice(0, index).split("\n").length}`;
}

// --- config keys -----------------------------------------------------------------------------

interface ZodDef {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  options?: unknown[];
  element?: unknown;
  valueType?: unknown;
}

function defOf(schema: unknown): ZodDef {
  return (schema as { _zod: { def: ZodDef } })._zod.def;
}

/** The schemas one path segment (an object key or a list index) leads to from `schema`. */
function step(schema: unknown, segment: string | number): unknown[] {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "default":
    case "prefault":
    case "nullable":
    case "nonoptional":
    case "readonly":
    case "catch":
      return step(def.innerType, segment);
    case "pipe":
      return step(def.in, segment);
    case "union":
      return (def.options ?? []).flatMap((option) => step(option, segment));
    case "object":
      return typeof segment === "string" && def.shape !== undefined && Object.hasOwn(def.shape, segment) ? [def.shape[segment]] : [];
    case "array":
      return typeof segment === "number" ? [def.element] : [];
    case "record":
      return typeof segment === "string" ? [def.valueType] : [];
    default:
      return [];
  }
}

/** `operators.sshCidrs[0]` → ["operators", "sshCidrs", 0]. */
function segments(path: string): (string | number)[] {
  return path.split(".").flatMap((part) => {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) return [part];
    const indexes = [...(match[2] ?? "").matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    return [...(match[1] ? [match[1]] : []), ...indexes];
  });
}

/** Why `docstown:<path>` is not a key the program reads, or undefined when it is one. */
function configKeyProblem(path: string): string | undefined {
  const parts = segments(path);
  const top = parts[0];
  if (typeof top !== "string") return "does not start with a key";
  if ((SECRET_KEYS as readonly string[]).includes(top)) {
    return parts.length === 1 ? undefined : "is a secret: secrets are flat keys without a path";
  }
  if (!(PLAIN_KEYS as readonly string[]).includes(top)) return `unknown top-level key ${top} (not in PLAIN_KEYS or SECRET_KEYS)`;
  let schemas: unknown[] = [productionSchema, localStackSchema];
  for (const part of parts) {
    schemas = schemas.flatMap((s) => step(s, part));
    if (schemas.length === 0) return `no setting ${String(part)} at that place in the config schema`;
  }
  return undefined;
}

/** Every `docstown:<path>` in the text that names a config key (not a type token such as `docstown:server:Server`). */
function configReferences(text: string): { path: string; index: number }[] {
  const found: { path: string; index: number }[] = [];
  for (const match of text.matchAll(/(?<![A-Za-z0-9_:])docstown:([A-Za-z_][A-Za-z0-9_.[\]]*)/g)) {
    const path = (match[1] ?? "").replace(/\.+$/, "");
    const after = text.slice((match.index ?? 0) + 9 + path.length);
    if (/^:[A-Za-z]/.test(after)) continue; // a resource type token: docstown:<module>:<Type>
    found.push({ path, index: match.index ?? 0 });
  }
  return found;
}

describe("config keys in the runbooks", () => {
  test("the key walker knows real keys and refuses invented ones", () => {
    for (const ok of ["app.digest", "volume.sizeGb", "operators.sshCidrs[0]", "email.dkimSelector", "email.dmarc.reportEmail",
      "database.restoreFrom.clusterName", "app.extraEnv.FOO", "railsMasterKey", "local.httpPort", "backup.offsite.enabled"]) {
      assert.equal(configKeyProblem(ok), undefined, ok);
    }
    for (const bad of ["volume.sizeGB", "app.digests", "web.counts", "railsMasterKey.x", "operators.sshCidrs.first", "email.dkimSelectr"]) {
      assert.notEqual(configKeyProblem(bad), undefined, bad);
    }
  });

  test("every docstown:<key> and --path docstown:<a.b> exists in the schema or the secret list", () => {
    const problems: string[] = [];
    for (const doc of docs) {
      for (const ref of configReferences(doc.text)) {
        const problem = configKeyProblem(ref.path);
        if (problem !== undefined) problems.push(`${at(doc, ref.index)}: docstown:${ref.path} ${problem}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

// --- first-deploy.md: every secret -------------------------------------------------------------

const WORKFLOW_DIR = join(PROJECT_DIR, ".github", "workflows");

describe("first-deploy.md", () => {
  const doc = docs.find((d) => d.name === "first-deploy.md");

  test("exists", () => assert.ok(doc, "docs/first-deploy.md is missing"));

  test("sets every secret of SECRET_KEYS with pulumi config set --secret", () => {
    const text = doc?.text ?? "";
    const missing = SECRET_KEYS.map((k) => `docstown:${k}`).filter(
      (key) => !new RegExp(`pulumi config set (?:--stack \\S+ )?--secret ${key.replace(".", "\\.")}(?![A-Za-z0-9])`).test(text),
    );
    assert.deepEqual(missing, []);
  });

  test("keeps provider credentials in the environment, out of the stack config", () => {
    const text = doc?.text ?? "";
    for (const [key, variable] of Object.entries(PROVIDER_CREDENTIALS)) {
      assert.doesNotMatch(text, new RegExp(`pulumi config set [^\\n]*${key}(?![A-Za-z0-9])`), `first-deploy.md stores ${key} in the stack config`);
      if (key === "digitalocean:token" || key === "cloudflare:apiToken") {
        assert.match(text, new RegExp(`export [^\\n]*\\b${variable}=`), `first-deploy.md never exports ${variable}`);
      }
    }
  });

  test("describes every GitHub environment the workflows use, its protection and its tokens", () => {
    const text = doc?.text ?? "";
    const used = new Set<string>();
    for (const file of readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f))) {
      for (const m of readFileSync(join(WORKFLOW_DIR, file), "utf8").matchAll(/^\s+environment:\s*([\w-]+)\s*$/gm)) used.add(m[1]!);
    }
    assert.deepEqual([...used].sort(), ["drift", "preview", "production", "release", "runner-access"]);
    for (const env of used) {
      assert.match(text, new RegExp(`repos/\\$REPO/environments/${env}"`), `no command creates the ${env} environment`);
      assert.match(text, new RegExp(`gh secret set \\w+ --env (?:${env}|"\\$env")`), `no secret is set in the ${env} environment`);
    }
    // production, drift, runner-access, release: deployments from main only; production and preview: required reviewers.
    for (const env of ["production", "drift", "runner-access", "release"]) {
      assert.match(text, new RegExp(`environments/${env}/deployment-branch-policies" -f name=main -f type=branch`), `${env} is not restricted to main`);
    }
    for (const env of ["production", "preview"]) {
      assert.match(text, new RegExp(`environments/${env}" --input - <<EOF\\n\\{"reviewers":\\[`), `${env} has no required reviewers`);
    }
    // Read-only tokens for previews: DigitalOcean custom scopes, read only; Cloudflare read permissions.
    const scopesIn = (t: string) => [...t.matchAll(/`([a-z_]+):(read|create|update|delete|admin|view_credentials)`/g)].map((m) => `${m[1]}:${m[2]}`);
    const readOnly = /- \*\*DigitalOcean\*\*, for `preview` and `drift`:[\s\S]*?(?=\n- \*\*)/.exec(text)?.[0] ?? "";
    const scopes = scopesIn(readOnly);
    assert.ok(scopes.includes("droplet:read") && scopes.includes("database:read"), `DigitalOcean read scopes: ${scopes.join(", ")}`);
    assert.deepEqual(scopes.filter((sc) => !sc.endsWith(":read") && sc !== "database:view_credentials"), [], "only read scopes are listed");
    // The runners' SSH opening token: the firewall scopes it uses, and the tag scope a tagged firewall needs.
    const firewallToken = /The runners' SSH opening token[\s\S]*?\n\n/.exec(text)?.[0] ?? "";
    assert.deepEqual(new Set(scopesIn(firewallToken.split(/No\s+`firewall:update`/)[0] ?? "")), new Set(["firewall:create", "firewall:read", "firewall:delete", "tag:read"]));
    assert.match(text, /Custom Scopes/);
    assert.match(text, /Zone → Zone: \*\*Read\*\*, Zone → DNS: \*\*Read\*\*, Zone → Zone Settings: \*\*Read\*\*, Zone → SSL and\s+Certificates: \*\*Read\*\*/);
  });

  test("lists the secrets production requires before the optional ones", () => {
    const text = doc?.text ?? "";
    const raw = readStackFile(join(PROJECT_DIR, "Pulumi.production.yaml"), true).config;
    const required = requiredSecretKeys(decodePlain(raw).plain as SecretContext);
    const optional = SECRET_KEYS.filter((k) => !required.includes(k));
    const position = (key: string) => text.search(new RegExp(`--secret docstown:${key}(?![A-Za-z0-9])`));
    const firstOptional = Math.min(...optional.map(position).filter((i) => i >= 0));
    const late = required.filter((k) => !(position(k) >= 0 && position(k) < firstOptional));
    assert.deepEqual(late, [], "required secrets must come before the first optional one");
  });
});

// --- npm scripts and CLI flags ---------------------------------------------------------------

const packageJson = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: Record<string, string> };
const synthUsage = /const USAGE = "([^"]+)"/.exec(readFileSync(join(PROJECT_DIR, "src/synth/cli.ts"), "utf8"))?.[1] ?? "";
const FLAGS: Readonly<Record<string, ReadonlySet<string>>> = {
  synth: new Set(synthUsage.match(/--[a-z][a-z-]*/g) ?? []),
  verify: new Set(VERIFY_USAGE.match(/--[a-z][a-z-]*/g) ?? []),
  // Only ops's own flags: words after `exec ... --` belong to the operator's command.
  ops: new Set(OPS_USAGE.match(/--[a-z][a-z-]*/g) ?? []),
};

describe("npm commands in the runbooks", () => {
  test("the flag lists were read from the CLIs", () => {
    assert.ok(FLAGS.synth?.has("--compare") && FLAGS.synth.has("--placeholder-secrets"), synthUsage);
    assert.ok(FLAGS.verify?.has("--stack"), VERIFY_USAGE);
    assert.ok(FLAGS.ops?.has("--release") && FLAGS.ops.has("--reuse"), OPS_USAGE);
  });

  test("every npm run <script> exists in package.json", () => {
    const problems: string[] = [];
    for (const doc of docs) {
      for (const m of doc.text.matchAll(/npm run(?:\s+(?:-s|--silent))?\s+([A-Za-z0-9:_-]+)/g)) {
        if (!Object.hasOwn(packageJson.scripts, m[1] ?? "")) problems.push(`${at(doc, m.index ?? 0)}: npm run ${m[1]}`);
      }
      for (const m of doc.text.matchAll(/npm test\b/g)) {
        if (!Object.hasOwn(packageJson.scripts, "test")) problems.push(`${at(doc, m.index ?? 0)}: npm test`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test("every flag after npm run synth -- / verify -- / ops -- is one the CLI accepts", () => {
    const problems: string[] = [];
    for (const doc of docs) {
      for (const m of doc.text.matchAll(/npm run (synth|verify|ops) --(?!\S)([^\n`|;)]*)/g)) {
        const allowed = FLAGS[m[1] ?? ""] ?? new Set<string>();
        const own = m[1] === "ops" ? (m[2] ?? "").split(/(?<!\S)--(?!\S)/)[0] ?? "" : (m[2] ?? "");
        for (const flag of own.match(/(?<!\S)--[a-z][a-z-]*/g) ?? []) {
          if (!allowed.has(flag)) problems.push(`${at(doc, m.index ?? 0)}: npm run ${m[1]} does not take ${flag}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});

// --- links, headings and repository paths ---------------------------------------------------

/** GitHub's heading anchor: lower-case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/`([^`]*)`/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** Markdown outside fenced code blocks. */
function prose(text: string): string {
  return text.replace(/^[ \t]*```[^\n]*\n[\s\S]*?^[ \t]*```[^\n]*$/gm, "");
}

function anchors(text: string): Set<string> {
  return new Set([...prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => slug(m[1] ?? "")));
}

describe("links between the runbooks", () => {
  test("the slug function matches GitHub's for the shapes used here", () => {
    assert.equal(slug("9. After the deploy"), "9-after-the-deploy");
    assert.equal(slug("Return to following the tag"), "return-to-following-the-tag");
    assert.equal(slug("Keep the pin in `main`"), "keep-the-pin-in-main");
  });

  test("every relative link resolves, anchors included", () => {
    const problems: string[] = [];
    for (const doc of docs) {
      for (const m of prose(doc.text).matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1] ?? "";
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [file = "", anchor] = target.split("#");
        const path = file === "" ? doc.path : resolve(dirname(doc.path), file);
        if (!existsSync(path)) {
          problems.push(`${doc.name}: link to ${target}: ${file} does not exist`);
          continue;
        }
        if (anchor !== undefined && path.endsWith(".md") && !anchors(readFileSync(path, "utf8")).has(anchor)) {
          problems.push(`${doc.name}: link to ${target}: no heading with that anchor`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test("README.md indexes every runbook", () => {
    const index = docs.find((d) => d.name === "README.md")?.text ?? "";
    const missing = docs.filter((d) => d.name !== "README.md" && !index.includes(`](${d.name})`)).map((d) => d.name);
    assert.deepEqual(missing, []);
  });

  test("every repository path in backticks exists", () => {
    const problems: string[] = [];
    for (const doc of docs) {
      for (const m of doc.text.matchAll(/`((?:src|stacks|policies|test|docs|\.github)\/[^`\s]*)`/g)) {
        if (!existsSync(join(PROJECT_DIR, m[1] ?? ""))) problems.push(`${at(doc, m.index ?? 0)}: ${m[1]}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

// --- stack outputs and URNs, against the synthesized production stack ----------------------

describe("stack outputs and URNs in the runbooks", () => {
  let stack: SynthResult;
  before(async () => {
    stack = await synthStack("production");
  });

  /** The URN the real engine gives a resource: parents' types chained with `$`, the root stack left out. */
  function engineUrns(result: SynthResult): Set<string> {
    const byUrn = new Map(result.resources.map((r) => [r.urn, r]));
    const qualified = (r: RecordedResource): string => {
      const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
      return parent === undefined || parent.type === "pulumi:pulumi:Stack" ? r.type : `${qualified(parent)}$${r.type}`;
    };
    return new Set(result.resources.map((r) => `urn:pulumi:${result.stack}::${result.project}::${qualified(r)}::${r.name}`));
  }

  test("every pulumi stack output <name> is an output of the production stack", () => {
    const outputs = new Set(Object.keys(stack.outputs));
    const problems: string[] = [];
    for (const doc of docs) {
      for (const m of doc.text.matchAll(/pulumi stack output (?:--show-secrets )?([A-Za-z][A-Za-z0-9]*)/g)) {
        if (!outputs.has(m[1] ?? "")) problems.push(`${at(doc, m.index ?? 0)}: ${m[1]}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test("every production URN written out is one the program declares", () => {
    const urns = engineUrns(stack);
    assert.ok(urns.has("urn:pulumi:production::docstown::docstown:server:Server$digitalocean:index/droplet:Droplet::docstown-droplet"));
    const problems: string[] = [];
    for (const doc of docs) {
      for (const m of doc.text.matchAll(/urn:pulumi:production::docstown::[^\s'"`)]+/g)) {
        if (!urns.has(m[0])) problems.push(`${at(doc, m.index ?? 0)}: ${m[0]}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test("every expected --compare line names a resource the render has", () => {
    // `--compare` prints the mock URN without stack and project: `~ <parent type>$<type>::<name>  (keys)`.
    const suffixes = new Set(stack.resources.map((r) => r.urn.split("::").slice(2).join("::")));
    const typeChains = new Set([...suffixes].map((s) => s.slice(0, s.lastIndexOf("::"))));
    const problems: string[] = [];
    for (const doc of docs) {
      for (const m of doc.text.matchAll(/(?:^|\s)([~+-]) (docstown:[a-z]+:[A-Za-z]+\$\S+::[A-Za-z0-9_-]+)/gm)) {
        const line = m[2] ?? "";
        const known = m[1] === "~" ? suffixes.has(line) : typeChains.has(line.slice(0, line.lastIndexOf("::")));
        if (!known) problems.push(`${at(doc, m.index ?? 0)}: ${m[1]} ${line}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

// --- credentials in the runbooks ----------------------------------------------------------------

describe("credentials in the runbooks", () => {
  test("no runbook stores a provider credential in the stack config or a secret in the repository", () => {
    const problems: string[] = [];
    for (const doc of docs) {
      for (const key of Object.keys(PROVIDER_CREDENTIALS)) {
        for (const m of doc.text.matchAll(new RegExp(`pulumi config set [^\\n]*${key}(?![A-Za-z0-9])`, "g"))) problems.push(`${at(doc, m.index ?? 0)}: ${m[0]}`);
      }
      // Every workflow secret belongs to a GitHub environment: `gh secret set NAME --env <env>`.
      for (const m of doc.text.matchAll(/gh secret set [^\n]*/g)) {
        if (!/--env (production|preview|drift|runner-access|release|"\$env"|<environment>)(?![\w-])/.test(m[0])) problems.push(`${at(doc, m.index ?? 0)}: ${m[0]} (no --env)`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

// --- refreshes -------------------------------------------------------------------------------

describe("refresh commands in the runbooks", () => {
  test("every pulumi refresh and up/preview --refresh runs the program (--run-program; the local stack's marked): the CA file is the program's", () => {
    const found = docs.flatMap((doc) => markdownInvocations(doc.path));
    assert.ok(found.length >= 4, `the runbooks' refreshes were found: ${found.map((f) => f.where).join(", ")}`);
    assert.deepEqual(found.filter((f) => !takesWorkingPath(f)).map((f) => `${f.where}: ${f.command}`), []);
  });
});
