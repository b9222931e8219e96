// A loopback fake of the part of DigitalOcean's API the runner opening uses (Firewalls), with the
// shapes of the API reference: POST /v2/firewalls -> 202 { firewall } in status "waiting";
// GET /v2/firewalls/{id} -> { firewall } ("succeeded" after `applyAfterGets` reads); GET
// /v2/firewalls?per_page&page -> { firewalls, links.pages.next, meta.total }; DELETE -> 204;
// errors { id, message }. Knobs let a test make each call fail.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Firewall, FirewallRequest } from "../../src/runner-access/do-firewalls";

export interface FakeDo {
  readonly url: string;
  readonly token: string;
  readonly firewalls: Map<string, Firewall>;
  readonly requests: string[];
  /** Status code for the next creates (then cleared). */
  failCreate?: number;
  /** Ids whose DELETE answers 500. */
  failDelete: Set<string>;
  /** Reads of a new firewall before it is "succeeded" (or "failed" with `applyFails`). */
  applyAfterGets: number;
  applyFails: boolean;
  /** Adds a firewall as if someone (or an earlier run) had made it. */
  seed(firewall: Partial<Firewall> & { name: string }): Firewall;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { "Content-Type": "application/json" });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    req.on("data", (c: Buffer) => (data += c.toString("utf8")));
    req.on("end", () => resolve(data));
  });
}

export async function startFakeDo(): Promise<FakeDo> {
  const token = `dop_v1_${randomUUID().replace(/-/g, "")}`;
  const firewalls = new Map<string, Firewall>();
  const reads = new Map<string, number>();
  const requests: string[] = [];
  const fake = {
    url: "",
    token,
    firewalls,
    requests,
    failCreate: undefined as number | undefined,
    failDelete: new Set<string>(),
    applyAfterGets: 1,
    applyFails: false,
    seed(partial: Partial<Firewall> & { name: string }): Firewall {
      const firewall: Firewall = {
        id: randomUUID(), status: "succeeded", created_at: new Date().toISOString(), inbound_rules: [], outbound_rules: [],
        droplet_ids: [], tags: [], pending_changes: [], ...partial,
      };
      firewalls.set(firewall.id, firewall);
      return firewall;
    },
    close: async () => {},
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://fake");
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { id: "Unauthorized", message: "Unable to authenticate you" });
      const one = /^\/v2\/firewalls\/([^/]+)$/.exec(url.pathname);
      if (req.method === "POST" && url.pathname === "/v2/firewalls") {
        const body = JSON.parse(await readBody(req)) as FirewallRequest;
        if (fake.failCreate !== undefined) {
          const status = fake.failCreate;
          fake.failCreate = undefined;
          return send(res, status, { id: "unprocessable_entity", message: "the fake refuses this create" });
        }
        if ((body.inbound_rules ?? []).length === 0) return send(res, 422, { id: "unprocessable_entity", message: "must contain at least one rule" });
        const firewall: Firewall = {
          id: randomUUID(), name: body.name, status: "waiting", created_at: new Date().toISOString(),
          inbound_rules: body.inbound_rules, outbound_rules: [], droplet_ids: [], tags: body.tags,
          pending_changes: [{ droplet_id: 8043964, removing: false, status: "waiting" }],
        };
        firewalls.set(firewall.id, firewall);
        reads.set(firewall.id, 0);
        return send(res, 202, { firewall });
      }
      if (req.method === "GET" && url.pathname === "/v2/firewalls") {
        const perPage = Number(url.searchParams.get("per_page") ?? 20);
        const page = Number(url.searchParams.get("page") ?? 1);
        const all = [...firewalls.values()];
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const next = page * perPage < all.length ? `${fake.url}/v2/firewalls?page=${page + 1}&per_page=${perPage}` : undefined;
        return send(res, 200, { firewalls: slice, links: next ? { pages: { next } } : {}, meta: { total: all.length } });
      }
      if (one && req.method === "GET") {
        const firewall = firewalls.get(one[1]!);
        if (!firewall) return send(res, 404, { id: "not_found", message: "The resource you were accessing could not be found." });
        const count = (reads.get(firewall.id) ?? 0) + 1;
        reads.set(firewall.id, count);
        if (firewall.status === "waiting" && count >= fake.applyAfterGets) {
          const settled: Firewall = { ...firewall, status: fake.applyFails ? "failed" : "succeeded", pending_changes: [] };
          firewalls.set(firewall.id, settled);
          return send(res, 200, { firewall: settled });
        }
        return send(res, 200, { firewall });
      }
      if (one && req.method === "DELETE") {
        if (fake.failDelete.has(one[1]!)) return send(res, 500, { id: "server_error", message: "the fake fails this delete" });
        if (!firewalls.delete(one[1]!)) return send(res, 404, { id: "not_found", message: "The resource you were accessing could not be found." });
        return send(res, 204);
      }
      return send(res, 404, { id: "not_found", message: `no route ${req.method} ${url.pathname}` });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}

/** An address echo service on loopback (what api.ipify.org answers). */
export async function startAddressEcho(answer: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(`${answer}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
