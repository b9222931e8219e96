import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerSshOptions } from "../src/app/docker-host";
import { runtimeEnvironment } from "../src/app/environment";
import { containerLogging, journaldLogging, type LogsOutput } from "../src/app/logs";
import { RailsApp } from "../src/app/rails-app";
import type { ProductionConfig } from "../src/config/load";
import { mustHaveSecret } from "../src/config/load";
import { smtpSettings } from "../src/email/records";
import { DEPLOY_USER } from "../src/server/cloud-init";
import { VolumeSnapshotConfig } from "../src/snapshots/snapshot-config";
import { ManagedDatabase } from "../src/database/managed-database";
import { Edge } from "../src/edge/edge";
import { Monitoring } from "../src/monitoring/monitoring";
import { AuthorizedKeys } from "../src/server/authorized-keys";
import { Server } from "../src/server/server";
import { topology } from "../src/server/topology";
import { WebTier } from "../src/server/web-tier";
import { later } from "../src/app/later";

/**
 * The production topology (brief, section 2): droplet + repos volume, managed PostgreSQL,
 * Cloudflare edge, the app containers over SSH, monitoring. Each block only wires components.
 */
export function productionStack(config: ProductionConfig): Record<string, unknown> {
  const tags = ["docstown", `docstown-${config.stack}`];
  // web.count 1: one droplet runs everything; 2+: it keeps the volume and runs worker + migrate,
  // and web hosts behind a load balancer run proxy + web (src/server/topology.ts).
  const plan = topology(config.web);

  // --- server (droplet, VPC, firewall, reserved IP, repos volume, readiness) ---
  const server = new Server("docstown", {
    namePrefix: `docstown-${config.stack}`,
    region: config.region,
    droplet: config.droplet,
    volume: config.volume,
    operators: config.operators,
    httpSourceCidrs: config.cloudflare.originCidrs,
    tags,
    deployPrivateKey: config.secrets.deploySshPrivateKey,
  });

  // --- daily snapshots of the repos volume: the droplet's timer gets its token and retention ---
  new VolumeSnapshotConfig("docstown", {
    host: server.publicIp, user: DEPLOY_USER, privateKey: config.secrets.deploySshPrivateKey,
    dropletId: server.dropletId, ready: server.ready,
    region: config.region, keep: config.volume.snapshots.keep, token: mustHaveSecret(config.secrets, "volumeSnapshotToken"),
  });

  // --- web hosts and their load balancer (web.count 2+) ---
  const webTier = plan.loadBalanced
    ? new WebTier("docstown-web", {
        namePrefix: `docstown-${config.stack}`,
        region: config.region,
        vpcId: server.vpcId,
        sshKeyFingerprints: server.sshKeyFingerprints,
        droplet: config.droplet,
        web: config.web,
        hosts: plan.webHosts,
        operators: config.operators,
        ...(config.cloudflare.originCidrs !== undefined ? { httpSourceCidrs: config.cloudflare.originCidrs } : {}),
        tags,
        deployPrivateKey: config.secrets.deploySshPrivateKey,
      })
    : undefined;
  const webHosts = webTier?.hosts ?? [];
  const dropletIds = [server.dropletId, ...webHosts.map((h) => h.dropletId)];

  // --- database (managed PostgreSQL, trusted sources, four databases, app user, grants) ---
  const database = new ManagedDatabase("docstown", {
    vpcId: server.vpcId,
    dropletIds,
    region: config.region,
    settings: config.database,
    operatorCidrs: config.operators.databaseCidrs,
    app: { railsMaxThreads: config.app.railsMaxThreads, jobConcurrency: config.app.jobConcurrency },
    webHosts: config.web.count,
    tags,
  });

  // --- edge (Cloudflare DNS, origin certificate, zone settings, email records) ---
  // Behind a load balancer, the apex moves to it only once every web host's web container is up.
  const webServing = later<pulumi.Resource[]>();
  const edge = new Edge("docstown", {
    domain: config.domain,
    publicIp: webTier?.publicIp ?? server.publicIp,
    ...(webTier !== undefined ? { apexAfter: webServing.value } : {}),
    // IPv4 only: the reserved IP is, and droplet.ipv6 is refused (see the schema), so no AAAA record.
    cloudflare: config.cloudflare,
    email: config.email,
  });

  // --- app (Docker provider over SSH; proxy, migrate, web, worker) ---
  // The host is unknown until the server is ready, so a first preview leaves the provider
  // unconfigured instead of pinging a droplet that does not exist yet (pulumi-docker #139).
  // One provider per host, each configured once its host is ready.
  const hostProvider = (name: string, host: { dockerHost: pulumi.Output<string>; knownHostsLine: pulumi.Output<string>; ready: pulumi.Resource }) =>
    new docker.Provider(
      name,
      {
        host: host.dockerHost,
        sshOpts: host.knownHostsLine.apply(dockerSshOptions),
        ...(config.app.registry !== undefined
          ? {
              registryAuth: [{
                address: config.app.registry.server,
                username: config.app.registry.username,
                password: mustHaveSecret(config.secrets, "registryPassword"),
              }],
            }
          : {}),
      },
      { dependsOn: [host.ready] },
    );
  const logs: LogsOutput = { driver: "journald", tag: `docstown-${config.stack}` };
  const appArgs = {
    settings: config.app,
    // Web and worker through the connection pools; migrate directly (src/database/pools.ts).
    databaseUrls: database.urls,
    migrateDatabaseUrls: database.migrateUrls,
    // The URLs say sslmode=verify-full with this CA at DATABASE_CA_PATH (src/database/rails.ts).
    databaseCaPem: database.caCertificatePem,
    environment: runtimeEnvironment({
      stack: config.stack,
      domain: config.domain,
      appHost: config.domain,
      mountPath: config.volume.mountPath,
      app: config.app,
      sentryTracesSampleRate: config.sentry.tracesSampleRate,
      secrets: config.secrets,
      mail: { smtp: smtpSettings(config.email), from: config.email.mailerFrom },
    }),
    mountPath: config.volume.mountPath,
    tls: { certificatePem: edge.originCertificatePem, privateKeyPem: edge.originPrivateKeyPem },
    // Only Cloudflare reaches 80/443, so its CF-Connecting-IP header names the visitor.
    proxy: {
      host: config.domain, aliases: [`www.${config.domain}`], httpPort: 80, httpsPort: 443, clientIpHeader: "CF-Connecting-IP",
      ...(edge.originPull.enabled ? { originPullCaPem: edge.originPull.caCertificatePem } : {}),
    },
    // The edge presents its client certificate (active at Cloudflare) before the proxy starts demanding one.
    ...(edge.originPull.ready !== undefined ? { proxyAfter: [edge.originPull.ready] } : {}),
  };
  const appOpts = { transformations: [containerLogging(journaldLogging(logs.tag))] }; // logs outlive releases (src/app/logs.ts)
  const app = new RailsApp("docstown", {
    ...appArgs,
    provider: hostProvider("docstown-docker", server),
    role: plan.volumeHost,
    repos: { hostPath: server.mountPath },
    // The database component's users and grants must exist before db:prepare runs.
    migrateAfter: [database],
    // A replaced droplet keeps the reserved IP: its id is what tells Pulumi the engine is new.
    host: server.dropletId,
    hostReady: server.ready,
  }, appOpts);
  // Each web host: its own Docker provider, proxy and web; web runs the release the volume host
  // migrated, once that migration succeeded. No repos: a web host has no volume.
  const webApps = webHosts.map((h) => new RailsApp(`docstown-${h.key}`, {
    ...appArgs,
    provider: hostProvider(`docstown-${h.key}-docker`, h),
    role: "web",
    releaseGate: { migrate: app.migrate as docker.Container, digest: app.imageDigest },
    host: h.dropletId,
    hostReady: h.ready,
  }, appOpts));
  webServing.resolve(webApps.map((a) => a.web as docker.Container));
  const proxies = [app, ...webApps].flatMap((a) => (a.proxy !== undefined ? [a.proxy] : []));

  // Authenticated origin pulls off: the zone stops presenting the certificate only once no proxy
  // requires it (on, this does nothing: the proxies waited for the setting above).
  edge.originPull.switchOffAfter(proxies.length === 1 ? (proxies[0] as docker.Container) : proxies);

  // --- operators' SSH keys: the running droplet's authorized_keys follows operators.sshPublicKeys ---
  // In place, by a confined one-shot container over the deploy SSH path; the droplet's user-data
  // keeps the bootstrap keys it was made with, so a team change never replaces it.
  new AuthorizedKeys("docstown-operators", {
    host: server,
    image: config.app.proxyImage,
    keys: config.operators.sshPublicKeys,
    deployKey: config.operators.deployKey,
  });
  // The same on every web host (each was created with the same bootstrap keys).
  for (const h of webHosts) {
    new AuthorizedKeys(`docstown-${h.key}-operators`, { host: h, image: config.app.proxyImage, keys: config.operators.sshPublicKeys, deployKey: config.operators.deployKey });
  }

  // --- monitoring (uptime check, alerts) ---
  const monitoring = new Monitoring("docstown", {
    domain: config.domain,
    settings: config.monitoring,
    dropletIds,
    databaseClusterId: database.clusterId,
    slackWebhookUrl: config.secrets.slackWebhookUrl,
  }, { dependsOn: [app, ...webApps] }); // no "down" alert while a first deploy is still starting the app

  return {
    domain: config.domain,
    url: `https://${config.domain}`,
    region: config.region,
    reposMountPath: config.volume.mountPath,
    tags,
    // server
    publicIp: server.publicIp,
    dropletId: server.dropletId,
    volumeId: server.volumeId,
    volumeName: server.volumeName,
    vpcId: server.vpcId,
    sshCommand: server.sshCommand,
    knownHostsLine: server.knownHostsLine,
    // database (the URLs are Pulumi secrets: `pulumi stack output --show-secrets` reveals them)
    database: {
      clusterId: database.clusterId, clusterName: database.clusterName, host: database.host, urls: database.urls, migrateUrls: database.migrateUrls,
      caCertificatePem: database.caCertificatePem, // public: what psql and pg_dump verify the server with
      // The worst case of a deploy and what reaches PostgreSQL, against the size's limit.
      connections: {
        limit: database.connectionBudget.input.limit,
        pooling: database.connectionBudget.input.pooling,
        peakClients: database.connectionBudget.peak.clients,
        serverConnections: database.connectionBudget.serverConnections,
        ...(database.connectionBudget.pools !== undefined ? { poolSizes: database.connectionBudget.pools } : {}),
      },
    },
    // edge (copy githubOAuthCallbackUrl into the GitHub OAuth app's "Authorization callback URL")
    githubOAuthCallbackUrl: edge.oauthCallbackUrl,
    cloudflareZoneId: edge.zoneId,
    originCertificateExpiresOn: edge.originCertificateExpiresOn,
    // the client certificate the edge presents to the proxy; the first `up` in its last 90 days renews it
    originPullCertificateExpiresOn: edge.originPull.clientCertificateExpiresOn,
    // monitoring
    uptimeCheckId: monitoring.uptimeCheckId,
    // app (imageDigest is what runs; roll back with `pulumi config set` app.digest to an earlier one)
    app: webApps.length === 0
      ? { imageDigest: app.imageDigest, web: app.web?.name, worker: app.worker?.name, migrate: app.migrate?.name, proxy: app.proxy?.name }
      : { imageDigest: app.imageDigest, worker: app.worker?.name, migrate: app.migrate?.name },
    // web.count 2+: the load balancer the apex points at, and each web host (ssh deploy@<ip>)
    ...(webTier !== undefined
      ? {
          loadBalancer: { ip: webTier.publicIp, id: webTier.loadBalancer.id },
          webHosts: webHosts.map((h, i) => ({ key: h.key, ip: h.publicIp, dropletId: h.dropletId, web: webApps[i]?.web?.name, proxy: webApps[i]?.proxy?.name })),
        }
      : {}),
    // How `npm run ops -- logs` finds the app's lines in the droplet's journal (src/app/logs.ts).
    logs,
  };
}
