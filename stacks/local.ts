import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerSshOptions } from "../src/app/docker-host";
import { LOCAL_CA_ROOT_PATH } from "../src/app/containers";
import { runtimeEnvironment } from "../src/app/environment";
import { containerLogging, journaldLogging, type LogsOutput } from "../src/app/logs";
import { RailsApp } from "../src/app/rails-app";
import type { LocalConfig } from "../src/config/load";
import { mustHaveSecret } from "../src/config/load";
import { smtpSettings } from "../src/email/records";
import { LocalDatabase } from "../src/local/local-database";
import { DEFAULT_LOCAL_DB_PASSWORD } from "../src/local/postgres";
import { topology } from "../src/server/topology";

/** Where the clone lives in the containers; production mounts its block volume at the same path. */
const LOCAL_REPOS_PATH = "/data/repos";

/**
 * The local rehearsal stack: the same RailsApp (proxy, migrate, web, worker) on this machine's
 * Docker engine, a PostgreSQL container instead of the managed cluster, a Docker volume for the
 * clone, and TLS from Caddy's own local CA. No cloud account is touched, and no Pulumi plugin but
 * docker is needed.
 */
export function localStack(config: LocalConfig): Record<string, unknown> {
  const { httpPort, httpsPort } = config.local;
  const registry = config.app.registry;
  const providerArgs: docker.ProviderArgs = {
    ...(config.local.dockerHost !== undefined ? { host: config.local.dockerHost } : {}),
    // The SSH options production's provider gets: batch mode, keep-alives, the host key pinned.
    ...(config.local.dockerHost?.startsWith("ssh://") === true ? { sshOpts: dockerSshOptions(config.local.dockerHostKey ?? "") } : {}),
    ...(registry !== undefined
      ? { registryAuth: [{ address: registry.server, username: registry.username, password: mustHaveSecret(config.secrets, "registryPassword") }] }
      : {}),
  };
  const provider = new docker.Provider("docstown-docker", providerArgs);

  const database = new LocalDatabase("docstown-db", {
    provider,
    image: config.local.postgresImage,
    imageSource: config.local.imageSource,
    password: config.secrets.localPostgresPassword ?? pulumi.secret(DEFAULT_LOCAL_DB_PASSWORD),
  });

  // Kept by `pulumi destroy`, like production's protected volume: a re-clone is the slow part.
  const repos = new docker.Volume(
    "docstown-repos",
    { name: config.local.reposVolumeName, labels: [{ label: "docstown.volume", value: "repos" }] },
    { provider, retainOnDelete: true },
  );

  // Caddy's local CA (root and key) lives here. Kept by `pulumi destroy` and fixed in name, so a
  // later `up` finds the same CA: a root the user trusted once stays trusted.
  const proxyData = new docker.Volume(
    "docstown-proxy-data",
    { name: config.local.proxyDataVolumeName, labels: [{ label: "docstown.volume", value: "proxy-data" }] },
    { provider, retainOnDelete: true },
  );
  // Volume names are unique on a Docker host, so the repos volume's tells this stack's journal lines apart.
  const logs: LogsOutput = { driver: config.local.logDriver, tag: config.local.reposVolumeName };
  const appHost = httpsPort === 443 ? config.domain : `${config.domain}:${httpsPort}`;

  // web.count 2+: the production role split on this one engine (src/server/topology.ts).
  const plan = topology(config.web);
  const appArgs = {
    settings: config.app,
    imageSource: config.local.imageSource,
    databaseUrls: database.urls,
    environment: runtimeEnvironment({
      stack: config.stack,
      domain: config.domain,
      appHost,
      mountPath: LOCAL_REPOS_PATH,
      app: config.app,
      sentryTracesSampleRate: config.sentry.tracesSampleRate,
      secrets: config.secrets,
      ...(config.email !== undefined ? { mail: { smtp: smtpSettings(config.email), from: config.email.mailerFrom } } : {}),
    }),
    mountPath: LOCAL_REPOS_PATH,
    backendNetworks: [database.network.name],
  };
  const appOpts = config.local.logDriver === "journald" ? { transformations: [containerLogging(journaldLogging(logs.tag))] } : {};
  const app = new RailsApp("docstown", {
    ...appArgs,
    provider,
    role: plan.volumeHost,
    repos: { volumeName: repos.name },
    tls: { internalCa: { volumeName: proxyData.name } },
    proxy: { host: config.domain, aliases: [], httpPort, httpsPort },
    migrateAfter: [database.container],
  }, appOpts);

  // Each web host: its own Docker provider (the same engine), its own Caddy CA volume, proxy and
  // web on local.httpPort+n / local.httpsPort+n; web runs the release `app` migrated, no clone.
  const webHosts = plan.webHosts.map((h) => {
    const caData = new docker.Volume(
      `docstown-${h.key}-proxy-data`,
      { name: `${config.local.proxyDataVolumeName}-${h.key}`, labels: [{ label: "docstown.volume", value: "proxy-data" }] },
      { provider, retainOnDelete: true },
    );
    const ports = { httpPort: httpPort + h.index, httpsPort: httpsPort + h.index };
    const hostApp = new RailsApp(`docstown-${h.key}`, {
      ...appArgs,
      provider: new docker.Provider(`docstown-${h.key}-docker`, providerArgs),
      role: "web",
      releaseGate: { migrate: app.migrate as docker.Container, digest: app.imageDigest },
      tls: { internalCa: { volumeName: caData.name } },
      proxy: { host: config.domain, aliases: [], ...ports },
    }, appOpts);
    return { key: h.key, url: `https://${config.domain}:${ports.httpsPort}`, webContainer: hostApp.web?.name, proxyContainer: hostApp.proxy?.name, caVolume: caData.name };
  });
  const first = webHosts[0];

  return {
    url: first?.url ?? `https://${appHost}`,
    imageDigest: app.imageDigest,
    ...(app.web !== undefined ? { webContainer: app.web.name } : {}),
    workerContainer: app.worker?.name,
    migrateContainer: app.migrate?.name,
    postgresContainer: database.container.name,
    reposVolume: repos.name,
    proxyContainer: first?.proxyContainer ?? app.proxy?.name,
    // Where the root certificate to trust is: `docker cp <proxyContainer>:<caPath> local-ca.crt`.
    caVolume: first?.caVolume ?? app.caVolume,
    caPath: LOCAL_CA_ROOT_PATH,
    ...(webHosts.length > 0 ? { webHosts } : {}),
    // How `npm run ops -- logs` finds the app's lines (src/app/logs.ts).
    logs,
  };
}
