// A loopback fake of the parts of DigitalOcean's API the snapshot script and the restore check use,
// with the request and response shapes of the API reference:
//   GET    /v2/volumes?name=&region=           -> 200 { volumes: [...] }
//   POST   /v2/volumes/{volume_id}/snapshots   -> 201 { snapshot }            body { name }
//   GET    /v2/volumes/{volume_id}/snapshots   -> 200 { snapshots, links, meta } (paged)
//   GET    /v2/snapshots/{snapshot_id}         -> 200 { snapshot } | 404 { id: "not_found", message }
//   DELETE /v2/snapshots/{snapshot_id}         -> 204
// Every request must carry `Authorization: Bearer <token>`; anything else is a 401.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeVolume {
  id: string;
  name: string;
  region: string;
  sizeGb: number;
}

export interface FakeSnapshot {
  id: string;
  name: string;
  resource_id: string;
  resource_type: "volume";
  regions: string[];
  created_at: string;
  min_disk_size: number;
  size_gigabytes: number;
  tags: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface FakeApi {
  url: string;
  token: string;
  volumes: FakeVolume[];
  snapshots: FakeSnapshot[];
  requests: RecordedRequest[];
  /** When set, POST .../snapshots answers with this status and an error body, creating nothing. */
  failCreate?: number;
  /** When set, POST .../snapshots waits for this promise before answering (a slow API). */
  holdCreate?: Promise<void>;
  /** Resolves at each POST .../snapshots as it arrives. */
  onCreate?: () => void;
  /** Page size of GET /v2/volumes/{id}/snapshots (the script asks for 200; a smaller one tests paging). */
  pageSize?: number;
  close(): Promise<void>;
}

let serial = 0;
export function snapshotOf(volume: FakeVolume, name: string, createdAt: Date): FakeSnapshot {
  serial += 1;
  const hex = serial.toString(16).padStart(12, "0");
  return {
    id: `5e1f0000-0000-4000-8000-${hex}`,
    name,
    resource_id: volume.id,
    resource_type: "volume",
    regions: [volume.region],
    created_at: createdAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
    min_disk_size: volume.sizeGb,
    size_gigabytes: 0.4,
    tags: [],
  };
}

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

export async function startFakeApi(init: { volumes: FakeVolume[]; snapshots?: FakeSnapshot[]; token?: string }): Promise<FakeApi> {
  const api: FakeApi = {
    url: "",
    token: init.token ?? "dop_v1_fake0123456789",
    volumes: init.volumes,
    snapshots: init.snapshots ?? [],
    requests: [],
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A killed run's orphaned curl may still hold its request open.
        server.closeAllConnections();
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void handle(req, res, Buffer.concat(chunks).toString("utf8"));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    let body: unknown = undefined;
    if (raw !== "") {
      try {
        body = JSON.parse(raw);
      } catch {
        send(res, 400, { id: "bad_request", message: "body is not JSON" });
        return;
      }
    }
    api.requests.push({ method, path: `${url.pathname}${url.search}`, body });
    if (req.headers.authorization !== `Bearer ${api.token}`) {
      send(res, 401, { id: "unauthorized", message: "Unable to authenticate you." });
      return;
    }
    const parts = url.pathname.split("/").filter(Boolean); // v2, volumes, {id}, snapshots
    if (method === "GET" && parts.length === 2 && parts[1] === "volumes") {
      const name = url.searchParams.get("name");
      const region = url.searchParams.get("region");
      const volumes = api.volumes.filter((v) => (name === null || v.name === name) && (region === null || v.region === region));
      send(res, 200, { volumes: volumes.map((v) => ({ id: v.id, name: v.name, region: { slug: v.region }, size_gigabytes: v.sizeGb })), links: {}, meta: { total: volumes.length } });
      return;
    }
    if (parts[1] === "volumes" && parts[3] === "snapshots" && parts.length === 4) {
      const volume = api.volumes.find((v) => v.id === parts[2]);
      if (volume === undefined) {
        send(res, 404, { id: "not_found", message: "The resource you were accessing could not be found." });
        return;
      }
      if (method === "POST") {
        api.onCreate?.();
        if (api.holdCreate) await api.holdCreate;
        if (api.failCreate !== undefined) {
          send(res, api.failCreate, { id: "server_error", message: "Unexpected server-side error" });
          return;
        }
        const name = (body as { name?: unknown } | undefined)?.name;
        if (typeof name !== "string" || name === "") {
          send(res, 422, { id: "unprocessable_entity", message: "name is required" });
          return;
        }
        const snapshot = snapshotOf(volume, name, new Date());
        api.snapshots.push(snapshot);
        send(res, 201, { snapshot });
        return;
      }
      if (method === "GET") {
        const mine = api.snapshots.filter((s) => s.resource_id === volume.id);
        const perPage = Math.min(Number(url.searchParams.get("per_page") ?? 20), api.pageSize ?? 200);
        const page = Number(url.searchParams.get("page") ?? 1);
        const slice = mine.slice((page - 1) * perPage, page * perPage);
        const next = page * perPage < mine.length ? `${api.url}${url.pathname}?page=${page + 1}&per_page=${perPage}` : undefined;
        send(res, 200, { snapshots: slice, links: next ? { pages: { next } } : {}, meta: { total: mine.length } });
        return;
      }
    }
    if (parts[1] === "snapshots" && parts.length === 3) {
      const index = api.snapshots.findIndex((s) => s.id === parts[2]);
      if (index < 0) {
        send(res, 404, { id: "not_found", message: "The resource you were accessing could not be found." });
        return;
      }
      if (method === "GET") {
        send(res, 200, { snapshot: api.snapshots[index] });
        return;
      }
      if (method === "DELETE") {
        api.snapshots.splice(index, 1);
        send(res, 204);
        return;
      }
    }
    send(res, 404, { id: "not_found", message: `no fake for ${method} ${url.pathname}` });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
