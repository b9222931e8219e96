import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { MIGRATE_COMMAND, memoryLimit, roleLabels } from "../containers";
import { appContainerBase, databaseCaUploads, type AppContainerInputs } from "./app-container";

export interface MigrateInputs extends AppContainerInputs {
  /** Memory limit: the web container's, as `db:prepare` boots the whole app. */
  readonly memoryMb: number;
}

/**
 * `bin/rails db:prepare`, once per release: attached (the provider waits for it to stop), never
 * restarted, kept so its exit code gates web and worker (./migration.ts) and its logs stay readable.
 */
export function migrateContainerArgs(i: MigrateInputs): docker.ContainerArgs {
  return {
    ...appContainerBase(i.pidsLimit),
    image: i.image,
    command: MIGRATE_COMMAND,
    envs: i.envs,
    ...memoryLimit(i.memoryMb),
    restart: "no",
    mustRun: false,
    attach: true,
    // Kept (as a secret output) so a failed migration's own words reach `pulumi up`'s error.
    logs: true,
    networksAdvanced: i.networks,
    ...databaseCaUploads(i.databaseCaPem),
    labels: roleLabels("migrate", i.release),
  };
}

export function declareMigrate(name: string, i: MigrateInputs, opts: pulumi.CustomResourceOptions): docker.Container {
  return new docker.Container(`${name}-migrate`, migrateContainerArgs(i), { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "containerLogs"] });
}
