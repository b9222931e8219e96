/**
 * The runner's own public address, as the internet sees it: asked of two independent echo services,
 * which must agree. A runner behind a NAT that changes address between connections would otherwise
 * open the firewall for an address its SSH connection does not come from; disagreement fails the
 * open instead of guessing.
 */
import { isIP } from "node:net";
import { OpeningError } from "./openings";

export const ADDRESS_SERVICES = ["https://api.ipify.org", "https://checkip.amazonaws.com"];

async function ask(url: string, timeoutMs: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new OpeningError(`could not ask ${url} for this runner's address: ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = (await response.text()).trim();
  if (!response.ok || isIP(body) === 0) throw new OpeningError(`${url} did not answer with an address (HTTP ${response.status}: "${body.slice(0, 60)}")`);
  return body;
}

export async function publicAddress(services: readonly string[] = ADDRESS_SERVICES, timeoutMs = 10_000): Promise<string> {
  if (services.length === 0) throw new OpeningError("no address service to ask");
  const answers = await Promise.all(services.map((url) => ask(url, timeoutMs)));
  const distinct = [...new Set(answers)];
  if (distinct.length !== 1) throw new OpeningError(`the address services disagree (${services.map((s, i) => `${s}: ${answers[i]}`).join(", ")}): not opening for a guess`);
  return distinct[0]!;
}
