import { restoreRefusal, type SnapshotFacts } from "./restore";

/**
 * The few DigitalOcean API reads the program (the restore check) and `npm run verify` (snapshot
 * age) make themselves: the provider has no data source that finds a snapshot by id. Same token
 * and API address as the provider (DIGITALOCEAN_TOKEN, DIGITALOCEAN_API_URL).
 */
export interface DoApi {
  readonly url: string;
  readonly token: string;
}

export function doApiFromEnv(env: NodeJS.ProcessEnv): DoApi | undefined {
  const token = env["DIGITALOCEAN_TOKEN"] ?? env["DIGITALOCEAN_ACCESS_TOKEN"];
  if (token === undefined || token === "") return undefined;
  return { url: (env["DIGITALOCEAN_API_URL"] ?? "https://api.digitalocean.com").replace(/\/+$/, ""), token };
}

async function get(api: DoApi, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.token}` }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

function failure(what: string, r: { status: number; body: unknown }): Error {
  const message = (r.body as { message?: unknown } | undefined)?.message;
  return new Error(`${what}: HTTP ${r.status}${typeof message === "string" ? ` (${message})` : ""}`);
}

export async function getSnapshot(api: DoApi, id: string): Promise<SnapshotFacts | undefined> {
  const r = await get(api, `/v2/snapshots/${encodeURIComponent(id)}`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw failure(`reading snapshot ${id}`, r);
  return (r.body as { snapshot: SnapshotFacts }).snapshot;
}

export async function findVolumeId(api: DoApi, name: string, region: string): Promise<string | undefined> {
  const r = await get(api, `/v2/volumes?name=${encodeURIComponent(name)}&region=${encodeURIComponent(region)}`);
  if (r.status !== 200) throw failure(`looking up volume ${name} in ${region}`, r);
  return (r.body as { volumes: { id: string }[] }).volumes[0]?.id;
}

/** Every snapshot of a volume, all pages. */
export async function listVolumeSnapshots(api: DoApi, volumeId: string): Promise<SnapshotFacts[]> {
  const all: SnapshotFacts[] = [];
  for (let page = 1; page < 100; page++) {
    const r = await get(api, `/v2/volumes/${encodeURIComponent(volumeId)}/snapshots?page=${page}&per_page=200`);
    if (r.status !== 200) throw failure(`listing snapshots of volume ${volumeId}`, r);
    const body = r.body as { snapshots?: SnapshotFacts[]; links?: { pages?: { next?: string } } };
    all.push(...(body.snapshots ?? []));
    if (body.links?.pages?.next === undefined) break;
  }
  return all;
}

/**
 * Run before any resource is declared when `volume.restoreFromSnapshot` is set: the refusal
 * message, or undefined when the snapshot can be restored.
 */
export async function checkRestoreSnapshot(
  api: DoApi | undefined,
  settings: { name: string; sizeGb: number; restoreFromSnapshot?: string | undefined },
  region: string,
): Promise<string | undefined> {
  const snapshotId = settings.restoreFromSnapshot;
  if (snapshotId === undefined) return undefined;
  if (api === undefined) return "docstown:volume.restoreFromSnapshot: checking the snapshot needs DIGITALOCEAN_TOKEN in the environment (the provider's token)";
  const snapshot = await getSnapshot(api, snapshotId);
  // The clone's volumes: the configured one and any earlier restore of it (<name>-r<8 hex>).
  const r = await get(api, `/v2/volumes?region=${encodeURIComponent(region)}&per_page=200`);
  if (r.status !== 200) throw failure(`listing volumes in ${region}`, r);
  const restored = new RegExp(`^${settings.name.slice(0, 53)}-r[0-9a-f]{8}$`);
  const ids = (r.body as { volumes: { id: string; name: string }[] }).volumes
    .filter((v) => v.name === settings.name || restored.test(v.name))
    .map((v) => v.id);
  return restoreRefusal({ snapshotId, snapshot, ownVolumeIds: ids, volumeName: settings.name, region, sizeGb: settings.sizeGb });
}
