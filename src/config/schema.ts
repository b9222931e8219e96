import { z } from "zod";
import { suggestedRestoreName } from "../database/restore";
import { emailSchema } from "../email/schema";
import {
  DO_REGIONS, absolutePath, cloudflareOriginCidr, domainName, email, imageDigest, imageReference, imageRepository, imageTag,
  isCidr, isWorldCidr, restrictedCidr, sshPublicKey,
} from "./primitives";
import { sourceBreadthIssues } from "./sources";
import { SSH_FINGERPRINT } from "./ssh-fingerprint";
import { operatorKeyIssues } from "./operator-keys";
import { KNOWN_HOSTS_LINE } from "../app/docker-host";

/**
 * The plain (non-secret) part of the stack configuration, one key of `docstown:` per top-level
 * field. Secrets are not here: they are read separately so they never leave Pulumi's secret
 * wrapper (see ./secrets.ts).
 */

/**
 * Official caddy 2.11.2, the multi-platform index digest (as published on Docker Hub and pinned in
 * public Dockerfiles); the engine pulls the platform's image from it.
 */
export const DEFAULT_PROXY_IMAGE = "caddy:2.11.2@sha256:25cdc846626b62d05f6b633b9b40c2c9f6ef89b515dc76133cefd920f7dbe562";

const appSchema = z.strictObject({
  /** Repository of the Rails image, without tag. */
  image: imageRepository,
  /** Tag resolved to a digest at deploy time; ignored when `digest` is set. */
  tag: imageTag.default("latest"),
  /** Deploy exactly this digest (rollback, or a pinned release). */
  digest: imageDigest.optional(),
  /** Private registry login; the password is the `registryPassword` secret. */
  registry: z.strictObject({ server: z.string().min(1), username: z.string().min(1) }).optional(),
  /**
   * Reverse proxy image (Caddy), pinned by digest (`caddy:<version>@sha256:…`; the tag is for
   * readers). It is used as is, never looked up: a proxy change stops the old proxy before the new
   * one binds 80/443, so a tag rebuilt upstream must not replace it during an unrelated deploy.
   * Upgrading is a change of this key (docs/upgrade-proxy.md). Use a release with
   * caddyserver/caddy#7547 (2.11.2+): up to 2.11.1 Caddy closes a request's body when the first
   * web container refuses the connection, so a POST retried during a deploy fails with 502 (#7546).
   */
  proxyImage: imageReference.default(DEFAULT_PROXY_IMAGE),
  webMemoryMb: z.number().int().min(256).max(65536).default(1536),
  workerMemoryMb: z.number().int().min(256).max(65536).default(1536),
  pidsLimit: z.number().int().min(64).max(32768).default(512),
  /** Solid Queue worker processes (JOB_CONCURRENCY). */
  jobConcurrency: z.number().int().min(1).max(32).default(1),
  /** Seconds Solid Queue gets to finish running jobs on stop (its shutdown_timeout is 5 s by default; jobs may be longer). */
  workerStopTimeoutSeconds: z.number().int().min(10).max(3600).default(120),
  /** Seconds the web container may take to answer /up after start before the deploy fails. */
  webBootTimeoutSeconds: z.number().int().min(10).max(1800).default(180),
  /** Seconds a replaced web container gets to finish in-flight requests before it is killed. */
  webStopTimeoutSeconds: z.number().int().min(5).max(600).default(30),
  /** Minutes `bin/rails db:prepare` may run before the deploy fails (long data migrations). */
  migrateTimeoutMinutes: z.number().int().min(1).max(720).default(30),
  /** Memory limit of the TLS proxy (Caddy) container. */
  proxyMemoryMb: z.number().int().min(64).max(4096).default(256),
  /**
   * Maintenance page: the proxy answers every request, /up included, with a static 503 page
   * (Retry-After, no-store) and forwards nothing. Switching it replaces only the proxy.
   */
  maintenance: z.boolean().default(false),
  /** Web processes' thread count (RAILS_MAX_THREADS). */
  railsMaxThreads: z.number().int().min(1).max(64).default(3),
  /** GitHub OAuth app client id (public); its secret is `githubClientSecret`. */
  githubClientId: z.string().min(1).optional(),
  /** Mission Control (Solid Queue dashboard) basic-auth user; password is `missionControlPassword`. */
  missionControlUser: z.string().min(1).default("admin"),
  /** Extra plain environment variables. Names that look secret are refused: use a secret key. */
  extraEnv: z
    .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an upper-case environment variable name"), z.string())
    .default({}),
});

/** A trusted source for the database: IPv4 (DigitalOcean takes no IPv6 there), never a /0 of any spelling. */
const databaseCidr = restrictedCidr.superRefine((v, ctx) => {
  if (!isCidr(v) || isWorldCidr(v)) return;
  if (v.endsWith("/0")) ctx.addIssue({ code: "custom", message: "must not open access to the whole internet (0.0.0.0/0 or ::/0)" });
  else if (v.includes(":")) ctx.addIssue({ code: "custom", message: "must be an IPv4 network: DigitalOcean database trusted sources do not accept IPv6" });
});

/** The widest networks (and, summed over a list, the most addresses) SSH and database sources may admit. */
const broadestPrefixSchema = z.strictObject({
  ipv4: z.number().int().min(8, "must be at least 8").max(32, "must be at most 32").default(16),
  ipv6: z.number().int().min(16, "must be at least 16").max(128, "must be at most 128").default(48),
});

const operatorsSchema = z
  .strictObject({
    /**
     * Public keys allowed to SSH as `deploy` on the running droplet. Every `pulumi up` replaces the
     * deploy user's authorized_keys with this list in place (src/server/authorized-keys.ts): adding
     * or removing an operator never replaces the droplet.
     */
    sshPublicKeys: z.array(sshPublicKey).min(1, "needs at least one key"),
    /**
     * The keys a new droplet is created with: its DigitalOcean SSH keys (root's, then disabled) and
     * the deploy user's first authorized_keys, in the user-data, so a change replaces the droplet.
     * Set once and leave it; `sshPublicKeys` is what changes. Optional in the type only, so that
     * its absence gets the message below instead of "is required".
     */
    bootstrapSshPublicKeys: z.array(sshPublicKey).min(1, "needs at least one key").optional(),
    /**
     * SHA256 fingerprint (as `ssh-add -l` prints it) of the key `pulumi up` connects with: the
     * agent's key or docstown:deploySshPrivateKey. Both key lists must hold it, so no list can lock
     * the deploy out of the running droplet or of a new one.
     */
    deployKey: z.string().regex(SSH_FINGERPRINT, "must be a SHA256 fingerprint as ssh-add -l prints it (SHA256: and 43 characters)"),
    /** Networks allowed to reach port 22. */
    sshCidrs: z.array(restrictedCidr).min(1, "needs at least one network; SSH is never open to the world"),
    /**
     * Networks allowed to reach PostgreSQL (the machine that runs `pulumi up`, for the postgresql
     * provider, which connects when grants change: the first deploy and a restore). IPv4 only:
     * DigitalOcean's database trusted sources take no IPv6 rules.
     */
    databaseCidrs: z.array(databaseCidr).default([]),
    /**
     * No network in sshCidrs or databaseCidrs may be wider than this prefix, and each list
     * together may not admit more addresses than one network of it (policies/sources.ts).
     */
    broadestPrefix: broadestPrefixSchema.default(broadestPrefixSchema.parse({})),
  })
  .superRefine((operators, ctx) => {
    for (const issue of operatorKeyIssues(operators)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    for (const key of ["sshCidrs", "databaseCidrs"] as const) {
      for (const issue of sourceBreadthIssues(operators[key], operators.broadestPrefix)) {
        ctx.addIssue({ code: "custom", path: [key, ...issue.path], message: issue.message });
      }
    }
  });

const dropletSchema = z.strictObject({
  size: z.string().regex(/^[a-z0-9-]+$/, "must be a droplet size slug such as s-2vcpu-4gb").default("s-2vcpu-4gb"),
  image: z.string().regex(/^ubuntu-\d{2}-04-x64$/, "must be an Ubuntu LTS image slug such as ubuntu-24-04-x64").default("ubuntu-24-04-x64"),
  swapGb: z.number().int().min(0).max(64).default(2),
  /**
   * Refused when true: an AAAA record would let Cloudflare reach the origin over IPv6, where the
   * proxy does not answer (its ports bind IPv4; binding `::` makes kreuzwerker's provider replace
   * the proxy on every apply, #909). No droplet IPv6, no AAAA record, until that can be served.
   */
  ipv6: z
    .boolean()
    .default(false)
    .refine(
      (on) => !on,
      "IPv6 is not served end to end: the proxy's ports bind IPv4 only (binding :: replaces it on every up, kreuzwerker #909), so an AAAA record would send Cloudflare to an address nothing answers on; leave it false",
    ),
});

const volumeSchema = z.strictObject({
  /** Volume name; also its /dev/disk/by-id name. Renaming replaces the volume, so it is protected. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and dashes").default("docstown-repos"),
  sizeGb: z.number().int().min(10, "must be at least 10").max(16384, "must be at most 16384").default(50),
  mountPath: absolutePath.default("/data/repos"),
  /** Daily snapshots by a timer on the droplet (src/snapshots/); the newest `keep` automatic ones are kept. */
  snapshots: z.strictObject({ keep: z.number().int().min(1, "must be at least 1").max(100, "must be at most 100").default(7) }).default({ keep: 7 }),
  /**
   * A volume snapshot id: the next up creates a new volume from it and moves the attachment and
   * the mount to it; the current volume is kept (docs/restore-repos-volume.md).
   */
  restoreFromSnapshot: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be a volume snapshot id such as 8a2b1c3d-0e4f-11f0-9a6b-0a58ac14a2b3 (doctl compute snapshot list --resource volume)").optional(),
  /** After a restore: false lets the next up delete the original volume (once unprotected in state). */
  keepOriginal: z.boolean().default(true),
}).superRefine((v, ctx) => {
  if (!v.keepOriginal && v.restoreFromSnapshot === undefined) {
    ctx.addIssue({ code: "custom", path: ["keepOriginal"], message: "may be false only with volume.restoreFromSnapshot: the original volume is the only one holding the clone" });
  }
});

/**
 * Web hosts (docs/add-web-host.md). `count: 1` is today's single droplet running everything; from
 * 2, the droplet that holds the repos volume runs the worker and migrate only, and `count` web
 * droplets behind a DigitalOcean load balancer run proxy and web. A block volume attaches to one
 * droplet, so web hosts never have the clone: `readsClone` says whether a web request reads it.
 */
const webSchema = z
  .strictObject({
    count: z.number().int().min(1, "must be at least 1").max(10, "must be at most 10").default(1),
    /** Size of each web droplet (count >= 2); the volume host keeps droplet.size. */
    size: z.string().regex(/^[a-z0-9-]+$/, "must be a droplet size slug such as s-2vcpu-4gb").default("s-2vcpu-4gb"),
    /** Whether any web request reads /data/repos. Only the worker's droplet has the volume. */
    readsClone: z.boolean().default(true),
  })
  .superRefine((w, ctx) => {
    if (w.count < 2 || !w.readsClone) return;
    ctx.addIssue({
      code: "custom",
      path: ["readsClone"],
      message:
        `is true (the default), so web.count ${w.count} is refused: the repos volume attaches to one droplet (the worker's), ` +
        "so a web host has no /data/repos and a request that reads the clone would find it empty. First move every web " +
        "request that reads /data/repos into a job or an endpoint served by the worker, then set web.readsClone to false",
    });
  });

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;

const databaseSchema = z.strictObject({
  clusterName: z.string().regex(/^[a-z0-9][a-z0-9-]{2,62}$/, "must be 3-63 lower-case letters, digits and dashes").default("docstown-db"),
  /**
   * PostgreSQL major. Raising it is an in-place major upgrade by DigitalOcean (no way back down).
   * The list is DigitalOcean's supported majors as last checked; `doctl databases options versions`
   * prints the current one (widen the list when DigitalOcean adds a major).
   */
  version: z.enum(["14", "15", "16", "17"], { message: "must be one of 14, 15, 16, 17" }).default("17"),
  size: z.string().regex(/^db-[a-z0-9-]+$/, "must be a database size slug such as db-s-1vcpu-1gb").default("db-s-1vcpu-1gb"),
  /** 1 = primary only; 2 or 3 adds standby nodes with automatic failover. */
  nodeCount: z.number().int().min(1).max(3).default(1),
  /**
   * How web and worker reach PostgreSQL. `pgbouncer`: through DigitalOcean connection pools in
   * transaction mode (prepared statements and Rails' advisory locks off in those URLs), while
   * migrate and operators connect directly. `direct`: every container connects to the server; the
   * config is refused when the worst case of a deploy exceeds the size's connection limit
   * (src/database/connection-budget.ts).
   */
  pooling: z.enum(["pgbouncer", "direct"], { message: "must be pgbouncer or direct" }).default("pgbouncer"),
  /**
   * Connections the cluster allows users, for a `size` the program does not know (DigitalOcean:
   * 25 per GB of RAM, minus 3). Refused for known sizes, whose limit the program has.
   */
  connectionLimit: z.number().int().min(1).max(100000).optional(),
  maintenance: z
    .strictObject({
      day: z.enum(WEEKDAYS, { message: `must be one of ${WEEKDAYS.join(", ")}` }).default("sunday"),
      hour: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/, "must be HH:MM:SS (UTC)").default("04:00:00"),
    })
    .default({ day: "sunday", hour: "04:00:00" }),
  /**
   * Restore: `clusterName` is created as a new cluster from this cluster's backups and the app is
   * repointed at it (docs/database-restore.md). Kept in config for as long as that cluster lives:
   * it tells the program the databases and the app user came with the backup.
   */
  restoreFrom: z
    .strictObject({
      clusterName: z.string().regex(/^[a-z0-9][a-z0-9-]{2,62}$/, "must be the name of an existing cluster (3-63 lower-case letters, digits and dashes)"),
      /** RFC 3339 UTC time within the 7-day point-in-time window; omitted = latest. */
      timestamp: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, "must be an RFC 3339 UTC time such as 2026-11-20T08:00:00Z").optional(),
    })
    .optional(),
}).superRefine((db, ctx) => {
  if (db.restoreFrom !== undefined && db.restoreFrom.clusterName === db.clusterName) {
    const at = db.restoreFrom.timestamp === undefined ? new Date() : new Date(db.restoreFrom.timestamp);
    ctx.addIssue({
      code: "custom",
      path: ["clusterName"],
      message: `must differ from database.restoreFrom.clusterName: a restore creates a new cluster beside ${db.clusterName}; name it, e.g. ${suggestedRestoreName(db.clusterName, at)}`,
    });
  }
  if (db.nodeCount > 1 && db.size === "db-s-1vcpu-1gb") {
    ctx.addIssue({
      code: "custom",
      path: ["nodeCount"],
      message: "standby nodes (nodeCount 2 or 3) need a size above db-s-1vcpu-1gb, e.g. db-s-1vcpu-2gb",
    });
  }
});

const cloudflareSchema = z.strictObject({
  /** Zone id; when absent the zone is looked up by the domain name. */
  zoneId: z.string().regex(/^[0-9a-f]{32}$/, "must be a 32-character hex zone id").optional(),
  /** Origin ranges allowed on 80/443; default: Cloudflare's published ranges, read at deploy time. */
  originCidrs: z.array(cloudflareOriginCidr).min(1).optional(),
  /** Certificate authorities allowed by the CAA record (Cloudflare's edge certificates). */
  caaIssuers: z.array(domainName).min(1).default(["letsencrypt.org", "pki.goog", "ssl.com"]),
  sslStrict: z.boolean().default(true),
  alwaysUseHttps: z.boolean().default(true),
  minTls12: z.boolean().default(true),
  tls13: z.boolean().default(true),
  hsts: z.boolean().default(true),
  hstsMaxAgeSeconds: z.number().int().min(15552000, "must be at least 15552000 (six months)").default(31536000),
  /** Authenticated origin pulls with the stack's own client certificate; the proxy refuses TLS clients without it. */
  authenticatedOriginPulls: z.boolean().default(true),
});

const monitoringSchema = z.strictObject({
  alertEmails: z.array(email).min(1, "needs at least one address"),
  uptimeRegions: z
    .array(z.enum(["us_east", "us_west", "eu_west", "se_asia"], { message: "must be one of us_east, us_west, eu_west, se_asia" }))
    .min(2, "needs at least two regions")
    .default(["us_east", "eu_west", "se_asia"]),
  cpuPercent: z.number().min(1).max(100).default(85),
  memoryPercent: z.number().min(1).max(100).default(90),
  diskPercent: z.number().min(1).max(100).default(85),
  latencyMs: z.number().int().min(100).default(2000),
  sslExpiryDays: z.number().int().min(1).default(14),
  /** Slack channel for alerts when the `slackWebhookUrl` secret is set. */
  slackChannel: z.string().regex(/^#[a-z0-9_-]+$/, "must be a Slack channel such as #ops").default("#ops"),
});

const backupSchema = z.strictObject({
  /**
   * A nightly logical copy to a Spaces bucket is not built: DigitalOcean's daily backups with
   * 7-day point-in-time recovery apply, and Pulumi retains the cluster. The switch is refused
   * rather than silently ignored (docs/database-restore.md).
   */
  offsite: z
    .strictObject({
      enabled: z
        .boolean()
        .default(false)
        .refine((on) => !on, "off-site backups are not implemented yet; DigitalOcean's daily backups and 7-day point-in-time recovery apply (docs/database-restore.md)"),
    })
    .default({ enabled: false }),
});

const localSchema = z.strictObject({
  httpPort: z.number().int().min(1).max(65535).default(8080),
  httpsPort: z.number().int().min(1).max(65535).default(8443),
  postgresImage: imageReference.default("postgres:17"),
  reposVolumeName: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, "must be a Docker volume name").default("docstown-repos"),
  /** Caddy's data directory (its local CA, which this machine trusts); kept by `pulumi destroy` like the repos volume. */
  proxyDataVolumeName: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, "must be a Docker volume name").default("docstown-proxy-data"),
  /**
   * Where the app and PostgreSQL images come from. "registry" resolves app.image:tag and
   * local.postgresImage to digests like production. "daemon" takes both from this machine's
   * Docker engine by name and runs them by image id, with no registry lookup: images built here
   * (docker build -t docstown:dev ., or `npm run demo:images` for the demo app and PostgreSQL).
   */
  imageSource: z.enum(["registry", "daemon"], { message: "must be registry or daemon" }).default("registry"),
  /** Docker daemon address; default: the local socket. */
  dockerHost: z.string().min(1).optional(),
  /**
   * The ed25519 host key of an ssh:// dockerHost as a known_hosts line: pinned the way production
   * pins the droplet's key (src/app/docker-host.ts). Without it an ssh:// host's first key is
   * accepted and remembered.
   */
  dockerHostKey: z.string().regex(KNOWN_HOSTS_LINE, "must be a known_hosts line for an ed25519 key, like [127.0.0.1]:2222 ssh-ed25519 AAAA…").optional(),
  /**
   * Where the app containers log. "local": Docker's rotated local files, gone with each replaced
   * container (works on any engine, Docker Desktop included). "journald": the host's journal, as
   * production does, so `npm run ops -- logs` still reads a replaced release; needs a running
   * systemd-journald on the Docker host.
   */
  logDriver: z.enum(["local", "journald"], { message: "must be local or journald" }).default("local"),
});

const PINNED_DIGEST = /@sha256:[0-9a-f]{64}$/;

/**
 * The proxy image is used as is, never looked up, so it must carry its digest; only the local
 * stack with `local.imageSource: daemon` runs an image built on this machine, which has none.
 */
function requirePinnedProxyImage(proxyImage: string, ctx: z.RefinementCtx): void {
  if (PINNED_DIGEST.test(proxyImage)) return;
  ctx.addIssue({
    code: "custom",
    path: ["app", "proxyImage"],
    message: "must pin a digest, e.g. caddy:2.11.2@sha256:<64 hex digits>; a tag alone moves when the registry rebuilds it (docs/upgrade-proxy.md)",
  });
}

/** Keys shared by every target. */
const common = {
  app: appSchema,
  email: emailSchema.optional(),
  /** Sentry performance tracing share (0 disables); the DSN is the `sentryDsn` secret. */
  sentry: z.strictObject({ tracesSampleRate: z.number().min(0).max(1).default(0) }).default({ tracesSampleRate: 0 }),
};

export const productionSchema = z.strictObject({
  target: z.literal("digitalocean"),
  ...common,
  domain: domainName,
  region: z.enum(DO_REGIONS, { message: `must be one of ${DO_REGIONS.join(", ")}` }),
  operators: operatorsSchema,
  droplet: dropletSchema.default(dropletSchema.parse({})),
  volume: volumeSchema.default(volumeSchema.parse({})),
  web: webSchema.default(webSchema.parse({})),
  database: databaseSchema.default(databaseSchema.parse({})),
  cloudflare: cloudflareSchema.default(cloudflareSchema.parse({})),
  email: emailSchema,
  monitoring: monitoringSchema,
  backup: backupSchema.default(backupSchema.parse({})),
}).superRefine((c, ctx) => requirePinnedProxyImage(c.app.proxyImage, ctx));

export const localStackSchema = z.strictObject({
  target: z.literal("local"),
  ...common,
  domain: z.string().min(1).default("localhost"),
  local: localSchema.default(localSchema.parse({})),
  /** The role split rehearsed on one Docker engine: web host n publishes local.httpPort+n and local.httpsPort+n. */
  web: webSchema.default(webSchema.parse({})),
}).superRefine((c, ctx) => {
  if (c.local.imageSource !== "daemon") requirePinnedProxyImage(c.app.proxyImage, ctx);
});

export const plainConfigSchema = z.discriminatedUnion("target", [productionSchema, localStackSchema], {
  message: "must be digitalocean or local",
});

export type ProductionSettings = z.infer<typeof productionSchema>;
export type LocalSettings = z.infer<typeof localStackSchema>;
export type PlainConfig = z.infer<typeof plainConfigSchema>;
export type AppSettings = z.infer<typeof appSchema>;
export type VolumeSettings = z.infer<typeof volumeSchema>;
export type WebSettings = z.infer<typeof webSchema>;
export type DatabaseSettings = z.infer<typeof databaseSchema>;
export type MonitoringSettings = z.infer<typeof monitoringSchema>;
export type CloudflareSettings = z.infer<typeof cloudflareSchema>;

/** Top-level keys the program reads; any other `docstown:` key is a typo and is reported. */
export const PLAIN_KEYS: readonly string[] = [
  ...new Set([...Object.keys(productionSchema.shape), ...Object.keys(localStackSchema.shape)]),
];

