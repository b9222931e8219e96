/**
 * What decides whether a secret is required. Read from the raw config too, so missing secrets are
 * reported alongside other problems even when the rest of the config does not parse.
 */
export interface SecretContext {
  readonly target?: unknown;
  readonly app?: { readonly registry?: unknown };
}

/**
 * Every secret the program reads, as a flat `docstown:<key>` set with
 * `pulumi config set --secret`. `requiredWhen` says for which configurations the key is mandatory;
 * a secret that is never required is optional everywhere.
 */
export interface SecretSpec {
  readonly key: string;
  readonly description: string;
  readonly requiredWhen: (config: SecretContext) => boolean;
}

const production = (c: SecretContext) => c.target === "digitalocean";
const always = () => true;
const never = () => false;

export const SECRET_SPECS = [
  { key: "railsMasterKey", description: "Rails master key (config/master.key): RAILS_MASTER_KEY", requiredWhen: always },
  { key: "githubClientSecret", description: "GitHub OAuth app client secret", requiredWhen: production },
  { key: "githubApiToken", description: "GitHub API token used to open upstream pull requests", requiredWhen: production },
  { key: "anthropicApiKey", description: "Anthropic (Claude) API key", requiredWhen: production },
  { key: "openaiApiKey", description: "OpenAI API key", requiredWhen: production },
  { key: "moonshotApiKey", description: "Moonshot (Kimi) API key", requiredWhen: production },
  { key: "smtpUsername", description: "SMTP user name from the email provider", requiredWhen: production },
  { key: "smtpPassword", description: "SMTP password from the email provider", requiredWhen: production },
  { key: "sentryDsn", description: "Sentry DSN for error tracking", requiredWhen: production },
  { key: "missionControlPassword", description: "Mission Control (Solid Queue dashboard) basic-auth password", requiredWhen: production },
  { key: "registryPassword", description: "Password or token for the private image registry (app.registry)", requiredWhen: (c) => c.app?.registry !== undefined },
  {
    key: "volumeSnapshotToken",
    description: "DigitalOcean token the droplet's daily repos-volume snapshot uses (custom scopes: block_storage_snapshot:create/read/delete, block_storage:read, and the read scopes DigitalOcean adds to them)",
    requiredWhen: production,
  },
  { key: "slackWebhookUrl", description: "Slack incoming webhook for uptime alerts", requiredWhen: never },
  { key: "deploySshPrivateKey", description: "Private key of an operator key, for the readiness check over SSH (default: ssh-agent)", requiredWhen: never },
  { key: "localPostgresPassword", description: "Password of the local stack's PostgreSQL container", requiredWhen: never },
] as const satisfies readonly SecretSpec[];

export type SecretKey = (typeof SECRET_SPECS)[number]["key"];
export const SECRET_KEYS: readonly SecretKey[] = SECRET_SPECS.map((s) => s.key);

export function requiredSecretKeys(config: SecretContext): SecretKey[] {
  return SECRET_SPECS.filter((s) => s.requiredWhen(config)).map((s) => s.key);
}

/**
 * Provider credentials, with the environment variable each provider reads when its config key is
 * unset. They stay out of the stack config even encrypted: whoever can decrypt the stack (a
 * pull-request preview, with its Stack Read token) would otherwise hold the deploy credentials
 * instead of the read-only ones its job was given, since the stack value wins over the variable.
 */
export const PROVIDER_CREDENTIALS: Readonly<Record<string, string>> = {
  "digitalocean:token": "DIGITALOCEAN_TOKEN",
  "cloudflare:apiToken": "CLOUDFLARE_API_TOKEN",
  "cloudflare:apiKey": "CLOUDFLARE_API_KEY",
  "cloudflare:apiUserServiceKey": "CLOUDFLARE_API_USER_SERVICE_KEY",
};

/** A config key as the stack holds it: `secret` when its value is encrypted (`secure:`). */
export interface StoredKey {
  readonly key: string;
  readonly secret: boolean;
}

/**
 * How secrets are stored, one `<key>: <problem>` line per problem: a `docstown:` secret whose
 * value is not encrypted (it would sit in git in clear while every other output shows
 * `[secret]`), and any provider credential in the stack config.
 */
export function secretStorageProblems(keys: readonly StoredKey[]): string[] {
  const secretNames = new Set<string>(SECRET_KEYS.map((k) => `docstown:${k}`));
  const problems: string[] = [];
  for (const { key, secret } of [...keys].sort((a, b) => a.key.localeCompare(b.key))) {
    if (secretNames.has(key) && !secret) {
      problems.push(`${key}: stored in plain text; set it with pulumi config set --secret ${key} <value>`);
    }
    const variable = PROVIDER_CREDENTIALS[key];
    if (variable === undefined) continue;
    const where = secret ? "kept in the stack config, where whoever can decrypt the stack can use it" : "stored in plain text";
    problems.push(`${key}: ${where}; remove it (pulumi config rm ${key}) and set ${variable} in the environment instead`);
  }
  return problems;
}
