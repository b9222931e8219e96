import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { WORKER_COMMAND, memoryLimit, reposVolume, roleLabels, type ReposMount } from "../containers";
import { appContainerBase, databaseCaUploads, type AppContainerInputs } from "./app-container";

export interface WorkerInputs extends AppContainerInputs {
  readonly memoryMb: number;
  /** Seconds Solid Queue gets to finish running jobs when the container is stopped. */
  readonly stopSeconds: number;
  readonly repos: ReposMount;
  readonly mountPath: string;
}

/** `bin/jobs`, the Solid Queue supervisor: no port, no health check, a long grace period on stop. */
export function workerContainerArgs(i: WorkerInputs): docker.ContainerArgs {
  return {
    ...appContainerBase(i.pidsLimit),
    image: i.image,
    command: WORKER_COMMAND,
    envs: i.envs,
    ...memoryLimit(i.memoryMb),
    restart: "unless-stopped",
    stopTimeout: i.stopSeconds,
    destroyGraceSeconds: i.stopSeconds,
    networksAdvanced: i.networks,
    volumes: [reposVolume(i.repos, i.mountPath)],
    ...databaseCaUploads(i.databaseCaPem),
    labels: roleLabels("worker", i.release),
  };
}

export function declareWorker(name: string, i: WorkerInputs, opts: pulumi.CustomResourceOptions): docker.Container {
  return new docker.Container(`${name}-worker`, workerContainerArgs(i), opts);
}
