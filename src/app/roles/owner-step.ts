import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { APP_USER, hardening, logging, memoryLimit, reposVolume, roleLabels, type ReposMount } from "../containers";

export interface ReposOwnerInputs {
  /** The Rails image id (it has `chown`). */
  readonly image: pulumi.Input<string>;
  readonly repos: ReposMount;
  readonly mountPath: string;
  /** Labels beyond the role (the Docker host's identity). */
  readonly extraLabels: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * A one-shot root container that gives a fresh Docker volume to the app's uid: Docker creates
 * it root-owned, the app is not root. Only CHOWN is kept, no network, nothing else writable.
 */
export function reposOwnerContainerArgs(i: ReposOwnerInputs): docker.ContainerArgs {
  return {
    image: i.image,
    command: ["chown", APP_USER, i.mountPath],
    user: "0:0",
    ...hardening(["CHOWN"]),
    ...logging(),
    ...memoryLimit(64),
    readOnly: true,
    restart: "no",
    mustRun: false,
    attach: true,
    volumes: [reposVolume(i.repos, i.mountPath)],
    networkMode: "none",
    labels: roleLabels("migrate", { "docstown.step": "repos-owner", ...i.extraLabels }),
  };
}

export function declareReposOwner(name: string, i: ReposOwnerInputs, opts: pulumi.CustomResourceOptions): docker.Container {
  return new docker.Container(`${name}-repos-owner`, reposOwnerContainerArgs(i), opts);
}
