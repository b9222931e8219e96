import * as digitalocean from "@pulumi/digitalocean";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseSettings } from "../config/schema";
import type { ConnectionBudget } from "./connection-budget";
import { budgetFor } from "./connection-check";
import { declarePools, pooledUrl } from "./pools";
import { adminConnection } from "./admin";
import { adminProviderConnections } from "./admin-connections";
import { writeCaFile } from "./ca-file";
import { clusterAcceptsHook, type ClusterEndpoint } from "./cluster-reachable";
import { appGrants, grantKey, PUBLIC_ROLE, type GrantSpec } from "./grants";
import { APP_USER, connectionUrl, DATABASE_URL_NAMES, RAILS_DATABASES, type DatabaseUrlName } from "./rails";
import { clusterOrigin } from "./restore";
import { trustedSources } from "./trusted-sources";

export interface ManagedDatabaseArgs {
  /** The app's VPC. The cluster joins it at creation; a different VPC would mean a new, empty cluster. */
  readonly vpcId: pulumi.Input<string>;
  /** Every droplet running app containers (the volume host, then each web host): the cluster's trusted sources. */
  readonly dropletIds: readonly pulumi.Input<string>[];
  /** DigitalOcean region slug, the droplet's. */
  readonly region: string;
  /** `docstown:database`: name, version, size, standby nodes, maintenance window, restore. */
  readonly settings: DatabaseSettings;
  /** `docstown:operators.databaseCidrs`: networks `pulumi up` runs from (the postgresql provider). */
  readonly operatorCidrs: readonly string[];
  /** `docstown:app.railsMaxThreads` and `jobConcurrency`: what the connection budget is computed from. */
  readonly app: { readonly railsMaxThreads: number; readonly jobConcurrency: number };
  /** `docstown:web.count`: web containers at once, one per web host (absent: one). */
  readonly webHosts?: number;
  readonly tags?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * DocsTown's managed PostgreSQL: a cluster in the app's VPC, trusted sources (the droplet and the
 * operators' networks), Rails' four databases, the app user and its grants, and the private
 * connection URLs the containers get.
 *
 * Resource names carry the cluster name, so a restore (a new `clusterName` with `restoreFrom`)
 * declares a second, independent set of resources: nothing of the source is replaced.
 *
 * Everything that holds data is guarded twice. The cluster is protected: a change that would
 * replace it (name, engine, VPC) or drop it from the program fails the preview instead of
 * producing an empty database. And every resource here is retained on delete: once deliberately
 * unprotected and removed, the cluster (with its backups, which die with it), its databases, user
 * and firewall stay in DigitalOcean until deleted there by hand. Deleting the firewall alone would
 * open the cluster to every address; dropping a database cannot be undone. The grants are
 * retained too, so forgetting an old cluster never needs a connection to it: privileges shrink by
 * editing the list in ./grants.ts (an update revokes), not by removing a grant resource.
 */
export class ManagedDatabase extends pulumi.ComponentResource {
  readonly clusterId: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  /** Public host (operators, the postgresql provider); the app uses the private one in `urls`. */
  readonly host: pulumi.Output<string>;
  readonly privateHost: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  /**
   * Rails' four URLs over the private network for web and worker, as Pulumi secrets: through the
   * connection pools with `database.pooling` pgbouncer (./pools.ts), else the direct ones.
   */
  readonly urls: Readonly<Record<DatabaseUrlName, pulumi.Output<string>>>;
  /** The direct URLs, for migrate (its advisory lock needs a session of its own). */
  readonly migrateUrls: Readonly<Record<DatabaseUrlName, pulumi.Output<string>>>;
  /** The worst case of a deploy against the size's limit, and the pool sizes (./connection-budget.ts). */
  readonly connectionBudget: ConnectionBudget;
  /** The cluster's CA certificate (PEM, public): what every connection verifies the server against. */
  readonly caCertificatePem: pulumi.Output<string>;
  /** Exactly what was granted, from the same data the grant resources were declared from. */
  readonly grants: readonly GrantSpec[];

  constructor(name: string, args: ManagedDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:database:ManagedDatabase", name, {}, opts);
    const s = args.settings;
    // Validation refused a config that does not fit; this throws the same message if called without it.
    this.connectionBudget = budgetFor({ database: s, app: args.app, ...(args.webHosts !== undefined ? { web: { count: args.webHosts } } : {}) });
    const origin = clusterOrigin(s);
    const prefix = `${name}-${s.clusterName}`;
    const keep = { parent: this, retainOnDelete: true };

    const cluster = new digitalocean.DatabaseCluster(prefix, {
      name: s.clusterName,
      engine: "pg",
      version: s.version,
      size: s.size,
      nodeCount: s.nodeCount,
      region: args.region,
      privateNetworkUuid: args.vpcId,
      maintenanceWindows: [{ day: s.maintenance.day, hour: s.maintenance.hour }],
      backupRestore: origin.kind === "restored" ? origin.backupRestore : undefined,
      tags: args.tags,
    }, { ...keep, protect: true, customTimeouts: { create: "2h" } }); // a restore of a large cluster outlasts the provider's 30 min

    const firewall = new digitalocean.DatabaseFirewall(`${prefix}-trusted-sources`, {
      clusterId: cluster.id,
      rules: trustedSources(args.dropletIds, args.operatorCidrs),
    }, keep);

    // A restored cluster already holds the databases and the user (with its password and its
    // tables): creating them again would fail, so they are read instead.
    const databases = new Map<string, digitalocean.DatabaseDb>();
    let appUser: pulumi.Output<string>;
    let appPassword: pulumi.Output<string>;
    const userDependencies: pulumi.Resource[] = [];
    if (origin.kind === "created") {
      for (const db of DATABASE_URL_NAMES.map((n) => RAILS_DATABASES[n])) {
        databases.set(db, new digitalocean.DatabaseDb(`${prefix}-${db}`, { clusterId: cluster.id, name: db }, keep));
      }
      const user = new digitalocean.DatabaseUser(`${prefix}-app-user`, { clusterId: cluster.id, name: APP_USER }, keep);
      appUser = user.name;
      appPassword = user.password;
      userDependencies.push(user);
    } else {
      const user = digitalocean.getDatabaseUserOutput({ clusterId: cluster.id, name: APP_USER }, { parent: this });
      appUser = user.name;
      appPassword = user.password;
    }

    // The cluster's CA (public). The provider verifies the server against it from a file the
    // program writes on the machine running `pulumi up` (./ca-file.ts); the app containers get
    // the same PEM uploaded to DATABASE_CA_PATH by the app component.
    const ca = digitalocean.getDatabaseCaOutput({ clusterId: cluster.id }, { parent: this });
    this.caCertificatePem = ca.certificate;

    // The operator's machine is outside the VPC: the admin connection uses the public host,
    // verified against the CA (./admin.ts), and waits for the firewall that lets it in.
    const adminSettings = pulumi
      .all([cluster.host, cluster.port, cluster.user, ca.certificate])
      .apply(([host, port, username, pem]) => adminConnection({ host, port, username, caPath: writeCaFile(pem) }));
    const admin = new postgresql.Provider(`${prefix}-admin`, {
      host: adminSettings.host,
      port: adminSettings.port,
      username: adminSettings.username,
      password: pulumi.secret(cluster.password),
      database: adminSettings.database,
      sslmode: adminSettings.sslmode,
      sslrootcert: adminSettings.sslrootcert,
      superuser: adminSettings.superuser,
      // Per database, and the provider opens five (./admin-connections.ts): its default is 20.
      maxConnections: adminProviderConnections(this.connectionBudget).perDatabase,
    }, { parent: this });

    // Every grant waits, before it is created, until the cluster accepts a connection from this
    // machine: the firewall's rules apply after its create returns (./cluster-reachable.ts).
    const endpoint = new Promise<ClusterEndpoint>((resolve) => {
      pulumi.all([adminSettings, ca.certificate]).apply(([settings, caPem]) => {
        resolve({ host: settings.host, port: settings.port, caPem, user: settings.username, database: settings.database });
      });
    });
    const accepts = clusterAcceptsHook(`${prefix}-cluster-accepts-connections`, endpoint, {}, firewall);

    this.grants = appGrants([...DATABASE_URL_NAMES.map((n) => RAILS_DATABASES[n])], APP_USER);
    const appGrantsByDb = new Map<string, postgresql.Grant[]>();
    // The app's grants first, then the revocations from PUBLIC, so no database is ever closed to it.
    const ordered = [...this.grants].sort((a, b) => Number(a.role === PUBLIC_ROLE) - Number(b.role === PUBLIC_ROLE));
    for (const spec of ordered) {
      const db = databases.get(spec.database);
      const before = spec.role === PUBLIC_ROLE ? (appGrantsByDb.get(spec.database) ?? []) : [];
      const grant = new postgresql.Grant(`${prefix}-grant-${grantKey(spec)}`, {
        role: spec.role === APP_USER ? appUser : spec.role,
        database: db ? db.name : spec.database,
        objectType: spec.objectType,
        schema: spec.schema,
        privileges: [...spec.privileges],
      }, {
        ...keep,
        provider: admin,
        dependsOn: [firewall, cluster, ...(db ? [db] : []), ...userDependencies, ...before],
        ...(accepts !== undefined ? { hooks: { beforeCreate: [accepts] } } : {}),
      });
      if (spec.role !== PUBLIC_ROLE) appGrantsByDb.set(spec.database, [...(appGrantsByDb.get(spec.database) ?? []), grant]);
    }

    this.clusterId = cluster.id;
    this.clusterName = cluster.name;
    this.host = cluster.host;
    this.privateHost = cluster.privateHost;
    this.port = cluster.port;
    const direct = {} as Record<DatabaseUrlName, pulumi.Output<string>>;
    for (const urlName of DATABASE_URL_NAMES) {
      const database = databases.get(RAILS_DATABASES[urlName])?.name ?? pulumi.output(RAILS_DATABASES[urlName]);
      direct[urlName] = pulumi.secret(
        pulumi
          .all([appUser, appPassword, cluster.privateHost, cluster.port, database])
          .apply(([user, password, host, port, db]) => connectionUrl({ user, password, host, port, database: db })),
      );
    }
    this.migrateUrls = direct;
    const sizes = this.connectionBudget.pools;
    if (sizes === undefined) {
      this.urls = direct;
    } else {
      const pools = declarePools(prefix, { cluster, databases, sizes, dependsOn: userDependencies }, { parent: this });
      const pooled = {} as Record<DatabaseUrlName, pulumi.Output<string>>;
      for (const urlName of DATABASE_URL_NAMES) pooled[urlName] = pooledUrl(pools[urlName], appUser, appPassword);
      this.urls = pooled;
    }

    this.registerOutputs({ caCertificatePem: this.caCertificatePem, clusterId: this.clusterId, clusterName: this.clusterName, privateHost: this.privateHost, port: this.port, urls: this.urls, migrateUrls: this.migrateUrls });
  }
}
