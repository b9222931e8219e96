import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { STEP_LABEL, type OwnerStep } from "../../../policies/values";
import { CHOWN_CAPABILITY, hardening, oneShotStep, roleLabels } from "../containers";

export { PROXY_DATA_OWNER_STEP, REPOS_OWNER_STEP, type OwnerStep } from "../../../policies/values";

export interface OwnerStepInputs {
  /** Which step this is (label docstown.step); the policy pack lets exactly these run as root. */
  readonly step: OwnerStep;
  /** The Rails image id (it has `chown`; the demo caddy image has nothing but caddy). */
  readonly image: pulumi.Input<string>;
  /** `uid:gid` the directory is given to. */
  readonly owner: string;
  /** The directory inside the step's container: the mount point of the volume. */
  readonly path: string;
  /** How the volume is mounted there, as the role that writes it mounts it. */
  readonly mount: Pick<docker.ContainerArgs, "volumes" | "mounts">;
  /** Labels beyond the role (the Docker host's identity). */
  readonly extraLabels: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * A one-shot root container that gives a fresh Docker volume to an unprivileged uid: Docker
 * creates it root-owned, the app and the proxy are not root. Only CHOWN is kept, no network,
 * nothing else writable; only the top directory changes owner (`chown` without -R), so an
 * existing volume's content is never touched. Role migrate: a one-shot step, never restarted.
 */
export function ownerStepContainerArgs(i: OwnerStepInputs): docker.ContainerArgs {
  return {
    image: i.image,
    command: ["chown", i.owner, i.path],
    user: "0:0",
    ...hardening([CHOWN_CAPABILITY]),
    ...oneShotStep(),
    ...i.mount,
    labels: roleLabels("migrate", { [STEP_LABEL]: i.step, ...i.extraLabels }),
  };
}

export function declareOwnerStep(name: string, i: OwnerStepInputs, opts: pulumi.CustomResourceOptions): docker.Container {
  // The step borrows the app image only for its `chown`: a new release must not re-run it (a
  // release changes migrate, web and worker, nothing else), so the image it was made with stays.
  return new docker.Container(`${name}-${i.step}`, ownerStepContainerArgs(i), { ...opts, ignoreChanges: [...(opts.ignoreChanges ?? []), "image"] });
}
