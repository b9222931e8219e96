/**
 * Environment variable names the app containers get from the program. Kept free of imports so
 * config validation can refuse `app.extraEnv` entries that would shadow them.
 */

/** Plain (non-secret) variables the program sets itself. */
export const PLAIN_ENV_NAMES = [
  "RAILS_ENV",
  "RAILS_LOG_TO_STDOUT",
  "RAILS_MAX_THREADS",
  "JOB_CONCURRENCY",
  "TARGET_PORT",
  "GITHUB_CLIENT_ID",
  "SENTRY_ENVIRONMENT",
  "SENTRY_RELEASE",
  "SENTRY_TRACES_SAMPLE_RATE",
  "MISSION_CONTROL_USER",
  "APP_HOST",
  "DOMAIN",
  "REPOS_PATH",
] as const;

/** Variables that carry credentials or mail routing; each reaches a container as a Pulumi secret. */
export const SECRET_ENV_NAMES = [
  "DATABASE_URL",
  "CACHE_DATABASE_URL",
  "QUEUE_DATABASE_URL",
  "CABLE_DATABASE_URL",
  "RAILS_MASTER_KEY",
  "GITHUB_CLIENT_SECRET",
  "GITHUB_API_TOKEN",
  "ANTHROPIC_API_KEY",
  "OPENAI_API_KEY",
  "MOONSHOT_API_KEY",
  "SMTP_ADDRESS",
  "SMTP_PORT",
  "SMTP_USERNAME",
  "SMTP_PASSWORD",
  "MAILER_FROM",
  "SENTRY_DSN",
  "MISSION_CONTROL_PASSWORD",
] as const;

export type PlainEnvName = (typeof PLAIN_ENV_NAMES)[number];
export type SecretEnvName = (typeof SECRET_ENV_NAMES)[number];

/** Every name the program manages; `app.extraEnv` may not redefine one. */
export const MANAGED_ENV_NAMES: ReadonlySet<string> = new Set<string>([...PLAIN_ENV_NAMES, ...SECRET_ENV_NAMES]);

/**
 * Any value, even "false", starts the Solid Queue supervisor inside Puma (Rails 8's puma.rb
 * checks only that it is set), so the web container would also run jobs beside the worker.
 */
export const FORBIDDEN_ENV_NAMES: ReadonlySet<string> = new Set(["SOLID_QUEUE_IN_PUMA"]);

/** Problems with `app.extraEnv`, one per variable; config validation reports them with their key. */
export function extraEnvProblems(extraEnv: Readonly<Record<string, string>>): { name: string; problem: string }[] {
  return Object.keys(extraEnv).flatMap((name) => {
    if (FORBIDDEN_ENV_NAMES.has(name)) {
      return [{ name, problem: "must not be set; any value turns on the Solid Queue supervisor inside Puma" }];
    }
    if (MANAGED_ENV_NAMES.has(name)) return [{ name, problem: "is set by the program; remove it from app.extraEnv" }];
    return [];
  });
}
