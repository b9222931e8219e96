import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { WEB_COMMAND, memoryLimit, reposVolume, roleLabels, webHealthcheck, type ReposMount } from "../containers";
import { appContainerBase, databaseCaUploads, type AppContainerInputs } from "./app-container";

export interface WebInputs extends AppContainerInputs {
  readonly memoryMb: number;
  /** Host name the health check sends, the one Rails' host authorization accepts. */
  readonly host: string;
  /** Seconds the new container may take to answer /up (start period and wait timeout). */
  readonly bootSeconds: number;
  /** Seconds a replaced container gets to finish its requests. */
  readonly stopSeconds: number;
  /** The clone; absent on a web host of a scaled-out stack, which has no volume. */
  readonly repos?: ReposMount;
  readonly mountPath: string;
}

/**
 * Thruster + Puma. No fixed name and no published port, so a new release's container is created
 * beside the old one; `wait` holds the deploy until its health check passes, and the old one
 * gets `stopSeconds` to drain.
 */
export function webContainerArgs(i: WebInputs): docker.ContainerArgs {
  return {
    ...appContainerBase(i.pidsLimit),
    image: i.image,
    command: WEB_COMMAND,
    envs: i.envs,
    ...memoryLimit(i.memoryMb),
    restart: "unless-stopped",
    // Thruster binds port 80 as uid 1000 without capabilities (and without file capabilities:
    // a binary carrying one could not even be executed with every capability dropped).
    sysctls: { "net.ipv4.ip_unprivileged_port_start": "80" },
    healthcheck: webHealthcheck(i.host, i.bootSeconds),
    wait: true,
    waitTimeout: i.bootSeconds,
    stopTimeout: i.stopSeconds,
    destroyGraceSeconds: i.stopSeconds,
    networksAdvanced: i.networks,
    ...(i.repos !== undefined ? { volumes: [reposVolume(i.repos, i.mountPath)] } : {}),
    ...databaseCaUploads(i.databaseCaPem),
    labels: roleLabels("web", i.release),
  };
}

export function declareWeb(name: string, i: WebInputs, opts: pulumi.CustomResourceOptions): docker.Container {
  return new docker.Container(`${name}-web`, webContainerArgs(i), opts);
}
