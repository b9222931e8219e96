import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { renderCaddyfile, type CaddyfileOptions } from "../caddyfile";
import { APP_NAME, MAINTENANCE_RETRY_AFTER_SECONDS } from "../maintenance";
import {
  CADDYFILE_PATH, CADDY_CONFIG_PATH, CADDY_DATA_PATH, ORIGIN_PULL_CA_PATH, PROXY_CAPABILITIES, PROXY_COMMAND, PROXY_GID, PROXY_LISTEN, PROXY_UID,
  PROXY_USER, PUMA_PORT, TLS_CERTIFICATE_PATH, TLS_KEY_PATH, WEB_ALIAS, LOCAL_CA_DATA_PATH, hardening, logging, memoryLimit, namedVolume, processLimit, roleLabels,
} from "../containers";

export interface RailsAppProxyArgs {
  /** Host the app is served on (the domain, or localhost). */
  readonly host: string;
  /** Hosts redirected to `host` (www). */
  readonly aliases: readonly string[];
  /** Host ports published for HTTP and HTTPS; the proxy is the only container with published ports. */
  readonly httpPort: number;
  readonly httpsPort: number;
  /** Header a CDN in front passes the client's address in (Cloudflare: CF-Connecting-IP). */
  readonly clientIpHeader?: string;
  /**
   * CA (PEM) of authenticated origin pulls: when set, the proxy requires a client certificate it
   * signed on every HTTPS connection, so only the CDN zone holding that certificate gets through.
   */
  readonly originPullCaPem?: pulumi.Input<string>;
}

/**
 * What the proxy serves: a certificate and its private key (made a Pulumi secret here), or a
 * certificate from Caddy's own local CA, whose root and key live in Caddy's data directory on a
 * Docker volume, so the CA a user trusts outlives restarts and replacements of the proxy.
 */
export type ProxyTls =
  | { readonly certificatePem: pulumi.Input<string>; readonly privateKeyPem: pulumi.Input<string> }
  | { readonly internalCa: { readonly volumeName: pulumi.Input<string> } };

/**
 * What the proxy container's Caddyfile is rendered from; `internal`: Caddy's local CA instead of
 * uploaded files; `maintenance`: the maintenance page for every request instead of the app.
 */
export function proxyCaddyfileOptions(proxy: RailsAppProxyArgs, tls: "files" | "internal" = "files", maintenance = false): CaddyfileOptions {
  return {
    host: proxy.host,
    aliases: proxy.aliases,
    listen: PROXY_LISTEN,
    publicHttpsPort: proxy.httpsPort,
    tls: tls === "internal" ? "internal" : { certificateFile: TLS_CERTIFICATE_PATH, keyFile: TLS_KEY_PATH },
    upstream: { host: WEB_ALIAS, port: PUMA_PORT },
    // Long enough to outlast a web container's restart, short enough to fail visibly.
    retrySeconds: 10,
    ...(proxy.clientIpHeader !== undefined ? { clientIpHeader: proxy.clientIpHeader } : {}),
    ...(proxy.originPullCaPem !== undefined ? { clientCaFile: ORIGIN_PULL_CA_PATH } : {}),
    ...(maintenance ? { maintenance: { appName: APP_NAME, retryAfterSeconds: MAINTENANCE_RETRY_AFTER_SECONDS } } : {}),
  };
}

export interface ProxyInputs {
  /** Image id of the pinned proxy (Caddy) image. */
  readonly image: pulumi.Input<string>;
  readonly proxy: RailsAppProxyArgs;
  readonly tls: ProxyTls;
  /** The app network, the only one the proxy joins. */
  readonly network: pulumi.Input<string>;
  /**
   * `docstown:app.maintenance`: the proxy answers every request with the maintenance page. Only the
   * Caddyfile changes, so switching it replaces the proxy alone (delete first, about a second of
   * refused connections), never web or worker.
   */
  readonly maintenance?: boolean;
  readonly memoryMb: number;
  readonly pidsLimit: number;
  /** Labels beyond the role (the Docker host's identity). */
  readonly extraLabels: Readonly<Record<string, pulumi.Input<string>>>;
}

/** A tmpfs owned by Caddy's user. */
function caddyTmpfs(size: string): string {
  return `rw,noexec,nosuid,size=${size},uid=${PROXY_UID},gid=${PROXY_GID}`;
}

/**
 * The certificate files and where Caddy's data lives. With files, Caddy keeps nothing worth
 * keeping (autosave, locks): a tmpfs. With its local CA, the data directory is the volume (the
 * CA's root and key, the issued certificate), handed to Caddy's uid by the proxy-data-owner step.
 */
function tlsPieces(tls: ProxyTls): { uploads: docker.types.input.ContainerUpload[]; data: Pick<docker.ContainerArgs, "volumes" | "envs">; tmpfs: Record<string, string> } {
  if ("internalCa" in tls) {
    return { uploads: [], data: { volumes: [namedVolume(tls.internalCa.volumeName, LOCAL_CA_DATA_PATH)], envs: [`XDG_DATA_HOME=${LOCAL_CA_DATA_PATH}`] }, tmpfs: {} };
  }
  return {
    uploads: [
      { file: TLS_CERTIFICATE_PATH, content: tls.certificatePem, permissions: "0444" },
      { file: TLS_KEY_PATH, content: pulumi.secret(tls.privateKeyPem), permissions: "0400", owner: String(PROXY_UID), group: String(PROXY_GID) },
    ],
    data: {},
    tmpfs: { [CADDY_DATA_PATH]: caddyTmpfs("16m") },
  };
}

/** Caddy terminating TLS as an unprivileged user, routing only to healthy web containers. */
export function proxyContainerArgs(i: ProxyInputs): docker.ContainerArgs {
  const tls = tlsPieces(i.tls);
  return {
    image: i.image,
    command: PROXY_COMMAND,
    user: PROXY_USER,
    ...hardening(PROXY_CAPABILITIES),
    ...logging(),
    ...memoryLimit(i.memoryMb),
    ulimits: processLimit(i.pidsLimit),
    restart: "unless-stopped",
    // Copied into the container before it starts, so the key is never in argv, the environment
    // or a bind-mounted host file. It does sit in the container's writable layer on the host's
    // disk (under /var/lib/docker, readable by root there) for as long as the container exists.
    uploads: [
      { file: CADDYFILE_PATH, content: renderCaddyfile(proxyCaddyfileOptions(i.proxy, "internalCa" in i.tls ? "internal" : "files", i.maintenance ?? false)), permissions: "0444" },
      ...tls.uploads,
      ...(i.proxy.originPullCaPem !== undefined ? [{ file: ORIGIN_PULL_CA_PATH, content: i.proxy.originPullCaPem, permissions: "0444" }] : []),
    ],
    ...tls.data,
    // Caddy's config directory (autosave) and, without its local CA, its data directory (locks).
    tmpfs: { ...tls.tmpfs, [CADDY_CONFIG_PATH]: caddyTmpfs("4m") },
    ports: [
      { internal: PROXY_LISTEN.http, external: i.proxy.httpPort },
      { internal: PROXY_LISTEN.https, external: i.proxy.httpsPort },
    ],
    networksAdvanced: [{ name: i.network }],
    labels: roleLabels("proxy", i.extraLabels),
  };
}

export function declareProxy(name: string, i: ProxyInputs, opts: pulumi.CustomResourceOptions): docker.Container {
  // Published ports cannot be held by two containers: a proxy change must stop the old one first.
  return new docker.Container(`${name}-proxy`, proxyContainerArgs(i), { ...opts, deleteBeforeReplace: true });
}
