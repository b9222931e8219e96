import { normalizeDomain } from "./records";

/**
 * The "Authorization callback URL" of the production GitHub OAuth app. GitHub refuses a
 * sign-in whose redirect does not match it, so the operator copies this stack output there.
 */
export function githubOAuthCallbackUrl(domain: string): string {
  return `https://${normalizeDomain(domain)}/auth/github/callback`;
}
