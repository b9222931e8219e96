import * as pulumi from "@pulumi/pulumi";
import type { AppSettings } from "../config/schema";
import type { SecretKey } from "../config/secrets";
import { DATABASE_URL_NAMES, type DatabaseUrlName } from "../database/rails";
import type { SmtpSettings } from "../email/records";
import { FORBIDDEN_ENV_NAMES, extraEnvProblems, type PlainEnvName, type SecretEnvName } from "./env-names";

/**
 * The Rails runtime contract as container environment (brief, section 1). Everything here is
 * pure: the component only turns the result into `envs` entries, one secret Output per secret
 * variable, so the state and the recorder know exactly which entries are secret.
 */

export type DatabaseUrls = Readonly<Record<DatabaseUrlName, pulumi.Input<string>>>;

/** Which stack secret feeds which variable. */
export const SECRET_ENV_FROM_CONFIG: Readonly<Partial<Record<SecretKey, SecretEnvName>>> = {
  railsMasterKey: "RAILS_MASTER_KEY",
  githubClientSecret: "GITHUB_CLIENT_SECRET",
  githubApiToken: "GITHUB_API_TOKEN",
  anthropicApiKey: "ANTHROPIC_API_KEY",
  openaiApiKey: "OPENAI_API_KEY",
  moonshotApiKey: "MOONSHOT_API_KEY",
  smtpUsername: "SMTP_USERNAME",
  smtpPassword: "SMTP_PASSWORD",
  sentryDsn: "SENTRY_DSN",
  missionControlPassword: "MISSION_CONTROL_PASSWORD",
};

export interface RuntimeEnvironmentInput {
  /** Stack name; Sentry groups events by it (SENTRY_ENVIRONMENT). */
  readonly stack: string;
  /** The bare domain the app is served on. */
  readonly domain: string;
  /** Host (and port, when not 443) of public URLs the app builds, e.g. in mails. */
  readonly appHost: string;
  /** Where the repository clone lives inside the containers (REPOS_PATH). */
  readonly mountPath: string;
  readonly app: Pick<AppSettings, "railsMaxThreads" | "githubClientId" | "missionControlUser" | "extraEnv">;
  readonly sentryTracesSampleRate: number;
  /** Stack secrets as read by loadConfig; absent ones are left out of the environment. */
  readonly secrets: Readonly<Partial<Record<SecretKey, pulumi.Input<string>>>>;
  /** ActionMailer delivery: the provider's SMTP endpoint and the From address. */
  readonly mail?: { readonly smtp: SmtpSettings; readonly from: string };
}

export interface RuntimeEnvironment {
  readonly plain: Readonly<Record<string, string>>;
  readonly secret: Readonly<Record<string, pulumi.Input<string>>>;
}

export type AppRole = "web" | "worker" | "migrate";

/**
 * The environment shared by web, worker and migrate (so a migration never sees stale secrets),
 * except the database URLs, which the app component adds (`withDatabaseUrls`).
 */
export function runtimeEnvironment(input: RuntimeEnvironmentInput): RuntimeEnvironment {
  const problems = extraEnvProblems(input.app.extraEnv);
  if (problems.length > 0) {
    throw new Error(problems.map((p) => `docstown:app.extraEnv.${p.name}: ${p.problem}`).join("\n"));
  }
  const plain: Partial<Record<PlainEnvName, string>> = {
    RAILS_ENV: "production",
    RAILS_LOG_TO_STDOUT: "true",
    RAILS_MAX_THREADS: String(input.app.railsMaxThreads),
    SENTRY_ENVIRONMENT: input.stack,
    SENTRY_TRACES_SAMPLE_RATE: String(input.sentryTracesSampleRate),
    MISSION_CONTROL_USER: input.app.missionControlUser,
    APP_HOST: input.appHost,
    DOMAIN: input.domain,
    REPOS_PATH: input.mountPath,
  };
  if (input.app.githubClientId !== undefined) plain.GITHUB_CLIENT_ID = input.app.githubClientId;

  const secret: Partial<Record<SecretEnvName, pulumi.Input<string>>> = {};
  for (const [key, name] of Object.entries(SECRET_ENV_FROM_CONFIG) as [SecretKey, SecretEnvName][]) {
    const value = input.secrets[key];
    if (value !== undefined) secret[name] = value;
  }
  if (input.mail !== undefined) {
    // Issue 6: where mail goes and who it claims to be from travel as secrets too.
    secret.SMTP_ADDRESS = input.mail.smtp.address;
    secret.SMTP_PORT = String(input.mail.smtp.port);
    secret.MAILER_FROM = input.mail.from;
  }
  return { plain: { ...input.app.extraEnv, ...plain }, secret };
}

/** Adds the four database URLs (secrets) Rails reads for its primary, cache, queue and cable databases. */
export function withDatabaseUrls(env: RuntimeEnvironment, urls: DatabaseUrls): RuntimeEnvironment {
  const secret: Record<string, pulumi.Input<string>> = { ...env.secret };
  for (const name of DATABASE_URL_NAMES) {
    if (name in secret || name in env.plain) throw new Error(`${name} is already set; database URLs come from the database component`);
    secret[name] = urls[name];
  }
  return { plain: env.plain, secret };
}

export interface RoleEnvironmentOptions {
  readonly role: AppRole;
  /** The deployed image digest (SENTRY_RELEASE). */
  readonly release: pulumi.Input<string>;
  /** Solid Queue processes (worker only). */
  readonly jobConcurrency: number;
  /** Puma's port behind Thruster (web only); the proxy routes to it. */
  readonly pumaPort: number;
}

interface EnvEntry {
  readonly name: string;
  readonly value: pulumi.Input<string>;
  readonly secret: boolean;
}

/** Name, value and secrecy of every variable of one container, sorted by name. */
export function roleEnvironment(env: RuntimeEnvironment, options: RoleEnvironmentOptions): EnvEntry[] {
  const plain: Record<string, pulumi.Input<string>> = { ...env.plain, SENTRY_RELEASE: options.release };
  if (options.role === "worker") plain.JOB_CONCURRENCY = String(options.jobConcurrency);
  // Thruster hands TARGET_PORT to Puma as PORT; pinning it keeps the proxy's upstream port true.
  if (options.role === "web") plain.TARGET_PORT = String(options.pumaPort);
  const entries: EnvEntry[] = [
    ...Object.entries(plain).map(([name, value]) => ({ name, value, secret: false })),
    ...Object.entries(env.secret).map(([name, value]) => ({ name, value, secret: true })),
  ];
  const seen = new Set<string>();
  for (const e of entries) {
    if (FORBIDDEN_ENV_NAMES.has(e.name)) throw new Error(`${e.name} must not reach the ${options.role} container`);
    if (seen.has(e.name)) throw new Error(`${e.name} is set twice for the ${options.role} container`);
    seen.add(e.name);
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * `envs` for a docker.Container: `NAME=value` strings; each secret entry is its own secret
 * Output, so no secret is ever folded into a plain string and the state encrypts exactly those.
 */
export function containerEnvs(entries: readonly EnvEntry[]): pulumi.Input<string>[] {
  return entries.map((e) => {
    if (e.secret) return pulumi.secret(pulumi.interpolate`${e.name}=${e.value}`);
    return typeof e.value === "string" ? `${e.name}=${e.value}` : pulumi.interpolate`${e.name}=${e.value}`;
  });
}
