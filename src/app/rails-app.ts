import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { AppSettings } from "../config/schema";
import { APP_OWNER, LOCAL_CA_DATA_PATH, PROXY_OWNER, PUMA_PORT, WEB_ALIAS, REPLACE_ON_CHANGES, namedVolume, reposVolume, type ReposMount } from "./containers";
import { containerEnvs, roleEnvironment, withDatabaseUrls, type AppRole, type DatabaseUrls, type RuntimeEnvironment } from "./environment";
import { pinImage } from "./image";
import { migratedImage } from "./migration";
import { declareMigrate } from "./roles/migrate";
import { declareOwnerStep, PROXY_DATA_OWNER_STEP, REPOS_OWNER_STEP } from "./roles/owner-step";
import { declareProxy, type ProxyTls, type RailsAppProxyArgs } from "./roles/proxy";
import { declareWeb } from "./roles/web";
import { declareWorker } from "./roles/worker";
import { rolesOf, type HostRole } from "../server/topology";

export { proxyCaddyfileOptions, type ProxyTls, type RailsAppProxyArgs } from "./roles/proxy";

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
  /**
   * The database server's CA certificate (PEM). When set, it is uploaded (0444) to
   * DATABASE_CA_PATH in migrate, web and worker, for URLs that verify the server against it.
   */
  readonly databaseCaPem?: pulumi.Input<string>;
  /** Plain and secret variables shared by web, worker and migrate (`runtimeEnvironment`). */
  readonly environment: RuntimeEnvironment;
  /**
   * Which containers this engine runs (src/server/topology.ts): "all" (default: one host), "worker"
   * (the volume host of a scaled-out stack: migrate and worker) or "web" (a web host: proxy and web).
   */
  readonly role?: HostRole;
  /**
   * On a web host: the volume host's migrate step and the digest it ran. The web container runs
   * that digest and starts only once that step exited 0, so the release migrates once, before any
   * web host switches.
   */
  readonly releaseGate?: { readonly migrate: docker.Container; readonly digest: pulumi.Input<string> };
  /**
   * The repository clone: the host directory the block volume is mounted on, or a Docker volume.
   * Absent on a web host, which has no volume (its web containers mount nothing).
   */
  readonly repos?: ReposMount;
  /** Path of the clone inside the containers (and on the host in production). */
  readonly mountPath: string;
  /**
   * What the proxy serves: a certificate (PEM) and its private key (a Pulumi secret), or Caddy's
   * local CA kept in the named Docker volume (`internalCa`), which a one-shot step first hands to
   * Caddy's uid.
   */
  readonly tls: ProxyTls;
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
  /**
   * What the proxy must wait for besides its image: with authenticated origin pulls, the zone
   * setting, so the edge presents its certificate before the proxy demands one.
   */
  readonly proxyAfter?: readonly pulumi.Resource[];
}

/**
 * DocsTown on one Docker engine: the image pinned by digest, a one-shot `db:prepare`, the web
 * (Thruster + Puma) and Solid Queue worker containers, and a Caddy proxy that terminates TLS.
 *
 * A new digest replaces only the image, migrate, web and worker. Each replacement creates the new
 * container before deleting the old one (generated names, no published ports on web), web and
 * worker wait for a successful migration, and the new web must pass its health check before the
 * old one is stopped, with a grace period for in-flight requests. Each role's container is
 * declared by its own function in ./roles; this class only wires them together.
 */
export class RailsApp extends pulumi.ComponentResource {
  readonly network: docker.Network;
  /** What was deployed: the manifest digest (or the image id of a locally built image). */
  readonly imageDigest: pulumi.Output<string>;
  /** Each undefined where `role` does not run it. */
  readonly migrate?: docker.Container;
  readonly web?: docker.Container;
  readonly worker?: docker.Container;
  readonly proxy?: docker.Container;
  /**
   * With `tls.internalCa`: the volume holding Caddy's local CA, known once the step that hands it
   * to Caddy's uid exited 0 (a failed chown fails the update here). Undefined with certificate files.
   */
  readonly caVolume?: pulumi.Output<string>;

  constructor(name: string, args: RailsAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:app:RailsApp", name, {}, opts);
    const s = args.settings;
    const provider = args.provider;
    const child = { parent: this, provider };
    const containerOpts = { ...child, replaceOnChanges: REPLACE_ON_CHANGES };
    const roles = rolesOf(args.role ?? "all");
    const gate = args.releaseGate;
    if (!roles.migrate && gate === undefined) throw new Error("RailsApp: a web host needs releaseGate (the volume host's migrate step)");
    if (roles.worker && args.repos === undefined) throw new Error("RailsApp: the worker needs repos (the clone)");

    const hostReady = args.hostReady === undefined ? [] : [args.hostReady];
    const onHost: Record<string, pulumi.Input<string>> = args.host === undefined ? {} : { "docstown.host": args.host };
    this.network = new docker.Network(
      `${name}-network`,
      { driver: "bridge", labels: [{ label: "docstown.network", value: "app" }, ...Object.entries(onHost).map(([label, value]) => ({ label, value }))] },
      child,
    );

    const pinned = { provider, host: args.host, after: hostReady };
    const reference = s.digest !== undefined ? `${s.image}@${s.digest}` : `${s.image}:${s.tag}`;
    // A web host runs the digest the volume host resolved (and migrated), never its own lookup of a tag.
    const releaseDigest = gate !== undefined && (args.imageSource ?? "registry") === "registry" ? { digest: gate.digest } : {};
    const app = pinImage(`${name}-image`, { reference, source: args.imageSource ?? "registry", ...releaseDigest, ...pinned }, this);
    // The proxy reference carries its digest (schema): used as is, never looked up in the registry.
    const proxyImage = roles.proxy ? pinImage(`${name}-proxy-image`, { reference: s.proxyImage, source: args.imageSource ?? "registry", ...pinned }, this) : undefined;
    this.imageDigest = app.digest;

    const env = withDatabaseUrls(args.environment, args.databaseUrls);
    const migrateEnv = withDatabaseUrls(args.environment, args.migrateDatabaseUrls ?? args.databaseUrls);
    const envsFor = (role: AppRole) =>
      containerEnvs(roleEnvironment(role === "migrate" ? migrateEnv : env, { role, release: app.digest, jobConcurrency: s.jobConcurrency, pumaPort: PUMA_PORT }));
    const networks = (aliases: string[] = []) => [
      { name: this.network.name, ...(aliases.length > 0 ? { aliases } : {}) },
      ...(args.backendNetworks ?? []).map((n) => ({ name: n })),
    ];
    const shared = {
      release: { "docstown.release": app.digest, ...onHost },
      pidsLimit: s.pidsLimit,
      ...(args.databaseCaPem !== undefined ? { databaseCaPem: args.databaseCaPem } : {}),
    };
    const clone = { ...(args.repos !== undefined ? { repos: args.repos } : {}), mountPath: args.mountPath };

    // Before anything that writes the clone: a fresh Docker volume is root-owned, the app is not.
    // Host directories are left alone; the server's mount unit owns them and guards the mount point.
    const owner = { image: app.imageId, extraLabels: onHost };
    const reposOwner =
      roles.worker && args.repos !== undefined && "volumeName" in args.repos
        ? declareOwnerStep(
            name,
            { ...owner, step: REPOS_OWNER_STEP, owner: APP_OWNER, path: args.mountPath, mount: { volumes: [reposVolume(args.repos, args.mountPath)] } },
            { ...containerOpts, dependsOn: [app.image] },
          )
        : undefined;
    // Caddy's local CA lives in a Docker volume, root-owned when fresh; Caddy runs as nobody. The
    // proxy only waits for this step: gating its image on the exit code, as web's is, would make
    // every new app release (which re-runs the step) show the proxy as replaced in a preview.
    const internalCa = roles.proxy && "internalCa" in args.tls ? args.tls.internalCa : undefined;
    let proxyDataOwner: docker.Container | undefined;
    if (internalCa !== undefined) {
      proxyDataOwner = declareOwnerStep(
        name,
        { ...owner, step: PROXY_DATA_OWNER_STEP, owner: PROXY_OWNER, path: LOCAL_CA_DATA_PATH, mount: { volumes: [namedVolume(internalCa.volumeName, LOCAL_CA_DATA_PATH)] } },
        { ...containerOpts, dependsOn: [app.image] },
      );
      this.caVolume = migratedImage(proxyDataOwner, internalCa.volumeName, "chown of the proxy's data volume");
    }

    this.migrate = roles.migrate
      ? declareMigrate(
          name,
          { ...shared, image: app.imageId, envs: envsFor("migrate"), networks: networks(), memoryMb: s.webMemoryMb },
          { ...containerOpts, dependsOn: [app.image, ...(args.migrateAfter ?? [])], customTimeouts: { create: `${s.migrateTimeoutMinutes}m` } },
        )
      : undefined;
    const migrate = (this.migrate ?? gate?.migrate) as docker.Container;
    const migrated = migratedImage(migrate, app.imageId);
    const image = reposOwner !== undefined ? migratedImage(reposOwner, migrated, "chown of the repos volume") : migrated;
    const afterMigration = { ...containerOpts, dependsOn: [migrate, ...(reposOwner !== undefined ? [reposOwner] : [])] };

    this.web = roles.web ? declareWeb(
      name,
      {
        ...shared, ...clone, image, envs: envsFor("web"), networks: networks([WEB_ALIAS]), memoryMb: s.webMemoryMb,
        host: args.proxy.host, bootSeconds: s.webBootTimeoutSeconds, stopSeconds: s.webStopTimeoutSeconds,
      },
      afterMigration,
    ) : undefined;
    this.worker = roles.worker ? declareWorker(
      name,
      { ...shared, ...clone, repos: args.repos as ReposMount, image, envs: envsFor("worker"), networks: networks(), memoryMb: s.workerMemoryMb, stopSeconds: s.workerStopTimeoutSeconds },
      afterMigration,
    ) : undefined;
    this.proxy = proxyImage === undefined ? undefined : declareProxy(
      name,
      {
        image: proxyImage.imageId, proxy: args.proxy, tls: args.tls, network: this.network.name, maintenance: s.maintenance,
        memoryMb: s.proxyMemoryMb, pidsLimit: s.pidsLimit, extraLabels: onHost,
      },
      { ...containerOpts, dependsOn: [...(args.proxyAfter ?? []), ...(proxyDataOwner !== undefined ? [proxyDataOwner] : [])] },
    );

    this.registerOutputs({
      imageDigest: this.imageDigest,
      network: this.network.name,
      ...(this.web !== undefined ? { web: this.web.name } : {}),
      ...(this.worker !== undefined ? { worker: this.worker.name } : {}),
      ...(this.migrate !== undefined ? { migrate: this.migrate.name } : {}),
      ...(this.proxy !== undefined ? { proxy: this.proxy.name } : {}),
      ...(this.caVolume !== undefined ? { caVolume: this.caVolume } : {}),
    });
  }
}
