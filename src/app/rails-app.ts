import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { AppSettings } from "../config/schema";
import { renderCaddyfile, type CaddyfileOptions } from "./caddyfile";
import {
  APP_USER, CADDYFILE_PATH, MIGRATE_COMMAND, PROXY_COMMAND, PROXY_LISTEN, PROXY_USER, PUMA_PORT,
  TLS_CERTIFICATE_PATH, TLS_KEY_PATH, WEB_ALIAS, WEB_COMMAND, WORKER_COMMAND, processLimit, reposVolume, roleLabels,
  webHealthcheck, hardening, logging, memoryLimit, REPLACE_ON_CHANGES, type ReposMount,
} from "./containers";
import { containerEnvs, roleEnvironment, withDatabaseUrls, type AppRole, type DatabaseUrls, type RuntimeEnvironment } from "./environment";
import { pinImage } from "./image";
import { migratedImage } from "./migration";

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
}

export interface RailsAppArgs {
  /** The Docker engine everything runs on: over SSH in production, the local daemon for `local`. */
  readonly provider: docker.Provider;
  /** The validated `docstown:app` settings (image, limits, timeouts). */
  readonly settings: AppSettings;
  /** "registry" (default) resolves app.image:tag to a digest; "daemon" runs a locally built image. */
  readonly imageSource?: "registry" | "daemon";
  /** URLs of the primary, cache, queue and cable databases; Pulumi secrets. */
  readonly databaseUrls: DatabaseUrls;
  /** URLs the one-shot migration uses instead, when they differ (direct, beside pooled runtime URLs). */
  readonly migrateDatabaseUrls?: DatabaseUrls;
  /** The database cluster's CA certificate (PEM), for libpq's verify-full at DATABASE_CA_PATH. */
  readonly databaseCaPem?: pulumi.Input<string>;
  /** Plain and secret variables shared by web, worker and migrate (`runtimeEnvironment`). */
  readonly environment: RuntimeEnvironment;
  /** The repository clone: the host directory the block volume is mounted on, or a Docker volume. */
  readonly repos: ReposMount;
  /** Path of the clone inside the containers (and on the host in production). */
  readonly mountPath: string;
  /** Certificate (PEM) the proxy serves, and its private key (a Pulumi secret). */
  readonly tls: { readonly certificatePem: pulumi.Input<string>; readonly privateKeyPem: pulumi.Input<string> };
  readonly proxy: RailsAppProxyArgs;
  /** Further networks web, worker and migrate join (the local PostgreSQL's); never the proxy. */
  readonly backendNetworks?: readonly pulumi.Input<string>[];
  /** What the migration must wait for besides the URLs: the database's users and grants. */
  readonly migrateAfter?: readonly pulumi.Resource[];
  /**
   * Identity of the Docker host (the droplet id). The provider's address stays the same when the
   * droplet is replaced behind its reserved IP, so without this Pulumi would believe the old
   * containers still run; with it, a new host gets the image, network and containers again.
   */
  readonly host?: pulumi.Input<string>;
  /** The step after which the Docker host answers (server readiness); image lookups wait for it. */
  readonly hostReady?: pulumi.Resource;
}

/** What the proxy container's Caddyfile is rendered from. */
export function proxyCaddyfileOptions(proxy: RailsAppProxyArgs): CaddyfileOptions {
  return {
    host: proxy.host,
    aliases: proxy.aliases,
    listen: PROXY_LISTEN,
    publicHttpsPort: proxy.httpsPort,
    tls: { certificateFile: TLS_CERTIFICATE_PATH, keyFile: TLS_KEY_PATH },
    upstream: { host: WEB_ALIAS, port: PUMA_PORT },
    // Long enough to outlast a web container's restart, short enough to fail visibly.
    retrySeconds: 10,
    ...(proxy.clientIpHeader !== undefined ? { clientIpHeader: proxy.clientIpHeader } : {}),
  };
}

/**
 * DocsTown on one Docker engine: the image pinned by digest, a one-shot `db:prepare`, the web
 * (Thruster + Puma) and Solid Queue worker containers, and a Caddy proxy that terminates TLS.
 *
 * A new digest replaces only the image, migrate, web and worker. Each replacement creates the new
 * container before deleting the old one (generated names, no published ports on web), web and
 * worker wait for a successful migration, and the new web must pass its health check before the
 * old one is stopped, with a grace period for in-flight requests.
 */
export class RailsApp extends pulumi.ComponentResource {
  readonly network: docker.Network;
  /** What was deployed: the manifest digest (or the image id of a locally built image). */
  readonly imageDigest: pulumi.Output<string>;
  readonly migrate: docker.Container;
  readonly web: docker.Container;
  readonly worker: docker.Container;
  readonly proxy: docker.Container;

  constructor(name: string, args: RailsAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:app:RailsApp", name, {}, opts);
    const s = args.settings;
    const provider = args.provider;
    const child = { parent: this, provider };
    const containerOpts = { ...child, replaceOnChanges: REPLACE_ON_CHANGES };

    const hostReady = args.hostReady === undefined ? [] : [args.hostReady];
    const onHost: Record<string, pulumi.Input<string>> = args.host === undefined ? {} : { "docstown.host": args.host };
    this.network = new docker.Network(
      `${name}-network`,
      { driver: "bridge", labels: [{ label: "docstown.network", value: "app" }, ...Object.entries(onHost).map(([label, value]) => ({ label, value }))] },
      child,
    );

    const app = pinImage(
      `${name}-image`,
      {
        reference: s.digest !== undefined ? `${s.image}@${s.digest}` : `${s.image}:${s.tag}`,
        source: args.imageSource ?? "registry",
        provider,
        host: args.host,
        after: hostReady,
      },
      this,
    );
    const proxyImage = pinImage(`${name}-proxy-image`, { reference: s.proxyImage, source: "registry", provider, host: args.host, after: hostReady }, this);
    this.imageDigest = app.digest;

    const env = withDatabaseUrls(args.environment, args.databaseUrls);
    const migrateEnv = withDatabaseUrls(args.environment, args.migrateDatabaseUrls ?? args.databaseUrls);
    const envsFor = (role: AppRole) =>
      containerEnvs(roleEnvironment(role === "migrate" ? migrateEnv : env, { role, release: app.digest, jobConcurrency: s.jobConcurrency, pumaPort: PUMA_PORT }));
    const networks = (aliases: string[] = []) => [
      { name: this.network.name, ...(aliases.length > 0 ? { aliases } : {}) },
      ...(args.backendNetworks ?? []).map((n) => ({ name: n })),
    ];
    const release = { "docstown.release": app.digest, ...onHost };
    const appContainer = {
      user: APP_USER,
      init: true,
      ...hardening(),
      ...logging(),
      ulimits: processLimit(s.pidsLimit),
    };

    // Before anything that writes the clone: a fresh Docker volume is root-owned, the app is not.
    // Host directories are left alone; the server's mount unit owns them and guards the mount point.
    let reposOwner: docker.Container | undefined;
    if ("volumeName" in args.repos) {
      reposOwner = new docker.Container(
        `${name}-repos-owner`,
        {
          image: app.imageId,
          command: ["chown", APP_USER, args.mountPath],
          user: "0:0",
          ...hardening(["CHOWN"]),
          ...logging(),
          ...memoryLimit(64),
          readOnly: true,
          restart: "no",
          mustRun: false,
          attach: true,
          volumes: [reposVolume(args.repos, args.mountPath)],
          networkMode: "none",
          labels: roleLabels("migrate", { "docstown.step": "repos-owner", ...onHost }),
        },
        { ...containerOpts, dependsOn: [app.image] },
      );
    }

    this.migrate = new docker.Container(
      `${name}-migrate`,
      {
        ...appContainer,
        image: app.imageId,
        command: MIGRATE_COMMAND,
        envs: envsFor("migrate"),
        ...memoryLimit(s.webMemoryMb),
        restart: "no",
        mustRun: false,
        attach: true,
        networksAdvanced: networks(),
        labels: roleLabels("migrate", release),
      },
      {
        ...containerOpts,
        dependsOn: [app.image, ...(args.migrateAfter ?? [])],
        customTimeouts: { create: `${s.migrateTimeoutMinutes}m` },
      },
    );
    const migrated = migratedImage(this.migrate, app.imageId);
    const image = reposOwner !== undefined ? migratedImage(reposOwner, migrated, "chown of the repos volume") : migrated;
    const afterMigration = { ...containerOpts, dependsOn: [this.migrate, ...(reposOwner !== undefined ? [reposOwner] : [])] };

    this.web = new docker.Container(
      `${name}-web`,
      {
        ...appContainer,
        image,
        command: WEB_COMMAND,
        envs: envsFor("web"),
        ...memoryLimit(s.webMemoryMb),
        restart: "unless-stopped",
        // Thruster binds port 80 as uid 1000 without capabilities.
        sysctls: { "net.ipv4.ip_unprivileged_port_start": "80" },
        healthcheck: webHealthcheck(args.proxy.host, s.webBootTimeoutSeconds),
        wait: true,
        waitTimeout: s.webBootTimeoutSeconds,
        stopTimeout: s.webStopTimeoutSeconds,
        destroyGraceSeconds: s.webStopTimeoutSeconds,
        networksAdvanced: networks([WEB_ALIAS]),
        volumes: [reposVolume(args.repos, args.mountPath)],
        labels: roleLabels("web", release),
      },
      afterMigration,
    );

    this.worker = new docker.Container(
      `${name}-worker`,
      {
        ...appContainer,
        image,
        command: WORKER_COMMAND,
        envs: envsFor("worker"),
        ...memoryLimit(s.workerMemoryMb),
        restart: "unless-stopped",
        stopTimeout: s.workerStopTimeoutSeconds,
        destroyGraceSeconds: s.workerStopTimeoutSeconds,
        networksAdvanced: networks(),
        volumes: [reposVolume(args.repos, args.mountPath)],
        labels: roleLabels("worker", release),
      },
      afterMigration,
    );

    const caddyfile = renderCaddyfile(proxyCaddyfileOptions(args.proxy));
    const [uid, gid] = PROXY_USER.split(":");
    this.proxy = new docker.Container(
      `${name}-proxy`,
      {
        image: proxyImage.imageId,
        command: PROXY_COMMAND,
        user: PROXY_USER,
        ...hardening(),
        ...logging(),
        ...memoryLimit(s.proxyMemoryMb),
        ulimits: processLimit(s.pidsLimit),
        restart: "unless-stopped",
        // Uploaded before the container starts, so the key never touches the host's disk or argv.
        uploads: [
          { file: CADDYFILE_PATH, content: caddyfile, permissions: "0444" },
          { file: TLS_CERTIFICATE_PATH, content: args.tls.certificatePem, permissions: "0444" },
          { file: TLS_KEY_PATH, content: pulumi.secret(args.tls.privateKeyPem), permissions: "0400", owner: uid, group: gid },
        ],
        // Caddy's data and config directories (autosave, locks), owned by its unprivileged user.
        tmpfs: {
          "/data": `rw,noexec,nosuid,size=16m,uid=${uid},gid=${gid}`,
          "/config": `rw,noexec,nosuid,size=4m,uid=${uid},gid=${gid}`,
        },
        ports: [
          { internal: PROXY_LISTEN.http, external: args.proxy.httpPort },
          { internal: PROXY_LISTEN.https, external: args.proxy.httpsPort },
        ],
        networksAdvanced: [{ name: this.network.name }],
        labels: roleLabels("proxy", onHost),
      },
      // Published ports cannot be held by two containers: a proxy change must stop the old one first.
      { ...containerOpts, deleteBeforeReplace: true },
    );

    this.registerOutputs({
      imageDigest: this.imageDigest,
      network: this.network.name,
      web: this.web.name,
      worker: this.worker.name,
      migrate: this.migrate.name,
      proxy: this.proxy.name,
    });
  }
}
