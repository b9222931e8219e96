/**
 * The maintenance page the proxy serves instead of the app while `docstown:app.maintenance` is on.
 * It is static and self-contained (no stylesheet, no image, no script): nothing behind the proxy
 * is asked for anything, so it stays up while the database is restored or web is gone.
 */

/** The name the page and its title show. */
export const APP_NAME = "DocsTown";

/** Seconds clients (and crawlers) are told to wait before trying again: a restore or a droplet replacement takes minutes. */
export const MAINTENANCE_RETRY_AFTER_SECONDS = 300;

/**
 * HTML escape that also turns Caddy's placeholder braces and the Caddyfile's quote and escape
 * characters into entities, so the page can sit in a quoted `respond` token verbatim.
 */
export function htmlText(text: string): string {
  const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "{": "&#123;", "}": "&#125;", "\\": "&#92;" };
  return text.replace(/[&<>"'{}\\]/g, (ch) => entities[ch] as string);
}

/** The page: one line of HTML without `"`, `\`, `{` or `}` (checked by renderCaddyfile). */
export function maintenancePage(appName: string, retryAfterSeconds: number): string {
  const name = htmlText(appName);
  const minutes = Math.max(1, Math.round(retryAfterSeconds / 60));
  return [
    "<!doctype html>",
    "<html lang=en><head><meta charset=utf-8>",
    "<meta name=viewport content='width=device-width, initial-scale=1'>",
    `<title>${name}: down for maintenance</title></head>`,
    "<body style='font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem'>",
    `<h1>${name} is down for maintenance</h1>`,
    `<p>We are working on ${name} and will be back shortly. Please try again in about ${minutes} minute${minutes === 1 ? "" : "s"}.</p>`,
    "</body></html>",
  ].join("");
}
