// What local:up and local:down tell the user at the end, from the stack's outputs and state:
// the URL, the local CA to trust (stacks/local.ts names the proxy container and the CA's path in
// it), and the volumes `pulumi destroy` kept.

/** The stack outputs local:up reads (stacks/local.ts). */
export interface LocalOutputs {
  readonly url: string;
  readonly proxyContainer?: string;
  readonly caPath?: string;
}

export function parseOutputs(json: string): LocalOutputs {
  const doc = JSON.parse(json) as Record<string, unknown>;
  const text = (key: string) => (typeof doc[key] === "string" && doc[key] !== "" ? (doc[key] as string) : undefined);
  const url = text("url");
  if (url === undefined) throw new Error("the stack has no url output");
  const proxyContainer = text("proxyContainer");
  const caPath = text("caPath");
  return { url, ...(proxyContainer !== undefined ? { proxyContainer } : {}), ...(caPath !== undefined ? { caPath } : {}) };
}

/** The closing lines of local:up once the CA root has been copied to `caFile`. */
export function upSummary(url: string, caFile: string): string[] {
  return [
    `local: up: ${url}`,
    `local: the proxy's certificate is issued by Caddy's local CA; its root certificate is ${caFile}`,
    `local:   check:   curl --cacert ${caFile} ${url}/up`,
    `local:   browser: Firefox: Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import ${caFile}`,
    `local:   system:  Debian/Ubuntu: sudo cp ${caFile} /usr/local/share/ca-certificates/docstown-local.crt && sudo update-ca-certificates` +
      ` (Chrome on Linux: chrome://certificate-manager, Custom > Import);` +
      ` macOS: sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${caFile}`,
    "local: the CA lives in a volume `local:down` keeps, so a root trusted once stays valid for later runs",
  ];
}

interface ExportedResource {
  readonly type?: string;
  readonly retainOnDelete?: boolean;
  readonly outputs?: { readonly name?: unknown };
}

/** Docker volumes in the state that `pulumi destroy` leaves behind (retainOnDelete). */
export function retainedVolumes(exportJson: string): string[] {
  const doc = JSON.parse(exportJson) as { deployment?: { resources?: ExportedResource[] } };
  return (doc.deployment?.resources ?? [])
    .filter((r) => r.type === "docker:index/volume:Volume" && r.retainOnDelete === true && typeof r.outputs?.name === "string")
    .map((r) => r.outputs?.name as string)
    .sort();
}

/** The closing lines of local:down: what was kept (`present` on the engine) and how to drop it. */
export function downSummary(kept: readonly string[], present: ReadonlySet<string>): string[] {
  const still = kept.filter((v) => present.has(v));
  if (still.length === 0) return ["local: down: every container, network and volume of the local stack is gone"];
  return [
    `local: down: containers and networks removed; kept volume${still.length > 1 ? "s" : ""} ${still.join(", ")} (the next local:up reuses them)`,
    `local: to delete them for good: docker volume rm ${still.join(" ")}`,
  ];
}
