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
  { key: "slackWebhookUrl", description: "Slack incoming webhook for uptime alerts", requiredWhen: never },
  { key: "deploySshPrivateKey", description: "Private key of an operator key, for the readiness check over SSH (default: ssh-agent)", requiredWhen: never },
  { key: "localPostgresPassword", description: "Password of the local stack's PostgreSQL container", requiredWhen: never },
] as const satisfies readonly SecretSpec[];

export type SecretKey = (typeof SECRET_SPECS)[number]["key"];
export const SECRET_KEYS: readonly SecretKey[] = SECRET_SPECS.map((s) => s.key);

export function requiredSecretKeys(config: SecretContext): SecretKey[] {
  return SECRET_SPECS.filter((s) => s.requiredWhen(config)).map((s) => s.key);
}
