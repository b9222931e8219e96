import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { REPLACE_ON_CHANGES, hardening, logging, memoryLimit, roleLabels } from "../app/containers";
import type { DatabaseUrls } from "../app/environment";
import { goDuration } from "../app/go-duration";
import { pinImage } from "../app/image";
import { RAILS_DATABASES } from "../database/rails";
import { LOCAL_DB_HOST, LOCAL_DB_USER, localDatabaseUrls, postgresDataPath, postgresHealthTest } from "./postgres";

export interface LocalDatabaseArgs {
  readonly provider: docker.Provider;
  /** A postgres image reference (`postgres:17`); same environment contract as the official image. */
  readonly image: string;
  /**
   * "registry" (default) resolves the reference to a digest; "daemon" runs the engine's copy by
   * name, e.g. the PostgreSQL image `npm run demo:images` builds with no registry.
   */
  readonly imageSource?: "registry" | "daemon";
  /** Password of the `docstown` login; a Pulumi secret. */
  readonly password: pulumi.Input<string>;
  readonly memoryMb?: number;
}

/**
 * PostgreSQL for the local stack, standing in for the managed cluster: one container on its own
 * internal network (no published port, no route out), its data in a named volume that outlives
 * the container.
 *
 * Databases: POSTGRES_DB creates the primary; `bin/rails db:prepare` (the migrate step) creates
 * the cache, queue and cable databases, which it does for any missing database when the login
 * may create them, as the image's POSTGRES_USER may. So no init script has to be kept in step
 * with config/database.yml.
 */
export class LocalDatabase extends pulumi.ComponentResource {
  /** Internal network the app's backend containers join to reach `postgres:5432`. */
  readonly network: docker.Network;
  readonly dataVolume: docker.Volume;
  readonly container: docker.Container;
  /** Connection URLs of the four Rails databases; Pulumi secrets. */
  readonly urls: DatabaseUrls;

  constructor(name: string, args: LocalDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:local:LocalDatabase", name, {}, opts);
    const child = { parent: this, provider: args.provider };

    this.network = new docker.Network(
      `${name}-network`,
      { driver: "bridge", internal: true, labels: [{ label: "docstown.network", value: "database" }] },
      child,
    );
    this.dataVolume = new docker.Volume(`${name}-data`, { labels: [{ label: "docstown.volume", value: "postgres" }] }, child);
    const image = pinImage(`${name}-image`, { reference: args.image, source: args.imageSource ?? "registry", provider: args.provider }, this);

    this.container = new docker.Container(
      `${name}-postgres`,
      {
        image: image.imageId,
        // By name, so it is the image's own postgres uid (999 on Debian, 70 on Alpine); the fresh
        // named volume takes that owner from the image's data directory when first mounted.
        user: "postgres",
        envs: [
          `POSTGRES_USER=${LOCAL_DB_USER}`,
          `POSTGRES_DB=${RAILS_DATABASES.DATABASE_URL}`,
          pulumi.secret(pulumi.interpolate`POSTGRES_PASSWORD=${args.password}`),
        ],
        volumes: [{ volumeName: this.dataVolume.name, containerPath: postgresDataPath(args.image) }],
        networksAdvanced: [{ name: this.network.name, aliases: [LOCAL_DB_HOST] }],
        healthcheck: { tests: postgresHealthTest(), interval: goDuration(2), timeout: goDuration(5), retries: 30, startPeriod: goDuration(60) },
        wait: true,
        waitTimeout: 120,
        // Writes go to the data volume and these; nothing else of the image changes.
        readOnly: true,
        tmpfs: { "/var/run/postgresql": "rw,noexec,nosuid,size=1m,mode=1777", "/tmp": "rw,noexec,nosuid,size=64m,mode=1777" },
        restart: "unless-stopped",
        ...memoryLimit(args.memoryMb ?? 512),
        // A clean shutdown (a checkpoint) instead of crash recovery at the next start.
        stopTimeout: 60,
        destroyGraceSeconds: 60,
        ...hardening(),
        ...logging(),
        labels: roleLabels("postgres"),
      },
      { ...child, replaceOnChanges: REPLACE_ON_CHANGES },
    );

    const urls = pulumi.secret(pulumi.output(args.password).apply(localDatabaseUrls));
    this.urls = {
      DATABASE_URL: urls.apply((u) => u.DATABASE_URL),
      CACHE_DATABASE_URL: urls.apply((u) => u.CACHE_DATABASE_URL),
      QUEUE_DATABASE_URL: urls.apply((u) => u.QUEUE_DATABASE_URL),
      CABLE_DATABASE_URL: urls.apply((u) => u.CABLE_DATABASE_URL),
    };
    this.registerOutputs({ network: this.network.name, container: this.container.name, dataVolume: this.dataVolume.name });
  }
}
