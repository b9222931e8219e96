// What ops prints passes through here: the values of the release's secret variables (read from
// the live containers, never printed) and any password in a URL become [redacted]. An app that
// logs its DATABASE_URL on a connection error, or a command that echoes a key, does not put it on
// the operator's screen or into a pasted incident note.
import { SECRET_ENV_NAMES } from "../app/env-names";

export const REDACTED = "[redacted]";

const SECRET_NAMES: ReadonlySet<string> = new Set(SECRET_ENV_NAMES);
/** Names that look like credentials although the program does not set them (app.extraEnv refuses such names, a hand-set one may still exist). */
const SECRET_LOOKING = /(SECRET|TOKEN|PASSWORD|PASSWD|_KEY|KEY_BASE|DSN|CREDENTIAL)/;
/** Shorter values (SMTP_PORT=587) would blank out ordinary text; URLs' passwords are caught by URL_PASSWORD. */
const MIN_LENGTH = 8;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/gi;

/** The secret values among `NAME=value` entries (a container's Env). */
export function secretValues(env: readonly string[]): string[] {
  const values = new Set<string>();
  for (const entry of env) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    if ((SECRET_NAMES.has(name) || SECRET_LOOKING.test(name)) && value.length >= MIN_LENGTH) values.add(value);
    // The password inside a URL is secret even where the URL as a whole is spelled differently.
    for (const m of value.matchAll(URL_PASSWORD)) if ((m[2] ?? "").length > 0) values.add(decodeURIComponentSafe(m[2] as string)).add(m[2] as string);
  }
  return [...values].filter((v) => v.length > 0);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export type Redactor = (text: string) => string;

export function redactor(secrets: readonly string[]): Redactor {
  // Longest first, so a URL is replaced as a whole before its password alone.
  const ordered = [...new Set(secrets)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out.replace(URL_PASSWORD, `$1${REDACTED}$3`);
  };
}
