import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { DATABASE_CA_PATH } from "../../database/rails";
import { APP_USER, hardening, logging, processLimit } from "../containers";

/**
 * What migrate, web and worker share: they run the same Rails image as the `rails` user, with
 * the same environment (only the role's variables differ), networks and hardening.
 */
export interface AppContainerInputs {
  /** Image id to run: the pulled image for migrate; for web and worker, the one migrate succeeded with. */
  readonly image: pulumi.Input<string>;
  /** The role's `NAME=value` list; secret entries stay Pulumi secrets. */
  readonly envs: pulumi.Input<string>[];
  /** The app network (with aliases where the role has them) and any backend networks. */
  readonly networks: docker.types.input.ContainerNetworksAdvanced[];
  /** Labels beyond the role: the release digest and the Docker host's identity. */
  readonly release: Readonly<Record<string, pulumi.Input<string>>>;
  /** nproc limit (`app.pidsLimit`). */
  readonly pidsLimit: number;
  /** The database server's CA certificate (PEM, public), uploaded to DATABASE_CA_PATH when set. */
  readonly databaseCaPem?: pulumi.Input<string>;
}

/** Settings every Rails container has, whatever its role. */
export function appContainerBase(pidsLimit: number): Pick<docker.ContainerArgs, "user" | "init" | "securityOpts" | "capabilities" | "logDriver" | "logOpts" | "ulimits"> {
  return { user: APP_USER, init: true, ...hardening(), ...logging(), ulimits: processLimit(pidsLimit) };
}

/**
 * The database CA, uploaded into the container before it starts, so libpq can verify the server
 * (`sslrootcert`). Public data, readable by everyone in the container; no upload when unset.
 */
export function databaseCaUploads(caPem: pulumi.Input<string> | undefined): { uploads?: docker.types.input.ContainerUpload[] } {
  return caPem === undefined ? {} : { uploads: [{ file: DATABASE_CA_PATH, content: caPem, permissions: "0444" }] };
}
