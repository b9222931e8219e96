/**
 * The few DigitalOcean API calls the runner's SSH opening needs, with `fetch`. Shapes from the API
 * reference (Firewalls): POST /v2/firewalls answers 202 with `{ firewall }` whose `status` is
 * `waiting` until the rules are applied (`succeeded`, or `failed`) and `pending_changes` lists
 * the droplets still being updated; GET /v2/firewalls pages with `per_page` (max 200) and
 * `links.pages.next`; DELETE /v2/firewalls/{id} answers 204. Errors are `{ id, message }`.
 *
 * The token travels only in the Authorization header and is never part of an error message.
 */

export const DEFAULT_API_URL = "https://api.digitalocean.com";

export interface InboundRule {
  readonly protocol: "tcp" | "udp" | "icmp";
  readonly ports: string;
  readonly sources: { readonly addresses?: readonly string[]; readonly tags?: readonly string[]; readonly droplet_ids?: readonly number[]; readonly load_balancer_uids?: readonly string[] };
}

export interface Firewall {
  readonly id: string;
  readonly name: string;
  readonly status: "waiting" | "succeeded" | "failed";
  /** ISO 8601, set by DigitalOcean: what the sweeper measures age by. */
  readonly created_at: string;
  readonly inbound_rules: readonly InboundRule[] | null;
  readonly outbound_rules: readonly unknown[] | null;
  readonly droplet_ids: readonly number[] | null;
  readonly tags: readonly string[] | null;
  readonly pending_changes: readonly { droplet_id: number; removing: boolean; status: string }[];
}

export interface FirewallRequest {
  readonly name: string;
  readonly inbound_rules: readonly InboundRule[];
  /** The firewall applies to every droplet carrying one of these tags. */
  readonly tags: readonly string[];
}

export class DigitalOceanError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "DigitalOceanError";
  }
}

export interface FirewallApi {
  create(request: FirewallRequest): Promise<Firewall>;
  get(id: string): Promise<Firewall>;
  list(): Promise<Firewall[]>;
  remove(id: string): Promise<void>;
}

const PAGE_SIZE = 200;
/** A list longer than this many pages is an API misbehaving, not an account's firewalls. */
const MAX_PAGES = 50;

export function firewallApi(options: { token: string; baseUrl?: string; timeoutMs?: number }): FirewallApi {
  const base = (options.baseUrl ?? DEFAULT_API_URL).replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${options.token}`,
          Accept: "application/json",
          ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new DigitalOceanError(0, `${method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { id?: string; message?: string };
        if (parsed.message) detail = `${parsed.id ?? "error"}: ${parsed.message}`;
      } catch {
        // not JSON: keep the start of the text
      }
      throw new DigitalOceanError(response.status, `${method} ${path} answered ${response.status} (${detail})`);
    }
    return text === "" ? undefined : JSON.parse(text);
  }

  return {
    async create(request) {
      const answer = (await call("POST", "/v2/firewalls", request)) as { firewall?: Firewall } | undefined;
      if (!answer?.firewall?.id) throw new DigitalOceanError(0, "POST /v2/firewalls answered without a firewall id");
      return answer.firewall;
    },
    async get(id) {
      const answer = (await call("GET", `/v2/firewalls/${encodeURIComponent(id)}`)) as { firewall?: Firewall } | undefined;
      if (!answer?.firewall) throw new DigitalOceanError(0, `GET /v2/firewalls/${id} answered without a firewall`);
      return answer.firewall;
    },
    async list() {
      const all: Firewall[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const answer = (await call("GET", `/v2/firewalls?per_page=${PAGE_SIZE}&page=${page}`)) as
          | { firewalls?: Firewall[]; links?: { pages?: { next?: string } } }
          | undefined;
        all.push(...(answer?.firewalls ?? []));
        if (!answer?.links?.pages?.next) return all;
      }
      throw new DigitalOceanError(0, `GET /v2/firewalls: more than ${MAX_PAGES} pages`);
    },
    async remove(id) {
      await call("DELETE", `/v2/firewalls/${encodeURIComponent(id)}`);
    },
  };
}
