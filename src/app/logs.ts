import type * as pulumi from "@pulumi/pulumi";
import { ROLE_LABEL } from "../../policies/values";

/**
 * Where the app's containers log, so that a release's lines outlive its containers.
 *
 * Docker's `local` and `json-file` drivers keep a container's log beside the container, and every
 * deploy removes the replaced ones: the lines of a bad release were gone just when someone looked
 * for them. The `journald` driver writes into the host's journal instead, which the host keeps
 * within its own time and size limits (production: src/server/journald.ts, set by cloud-init),
 * whatever happens to the containers. Each entry carries the stack's tag (SYSLOG_IDENTIFIER and
 * CONTAINER_TAG) and the labels named here as fields (`docstown.role` → DOCSTOWN_ROLE,
 * `docstown.release` → DOCSTOWN_RELEASE: Docker upper-cases a label's name and turns what is not
 * a letter or digit into `_`), which is how `npm run ops -- logs` finds a role's or a release's
 * lines after the containers are gone.
 */

export const RELEASE_LABEL = "docstown.release";

/** The journal field Docker's journald driver gives a label (moby daemon/logger/journald, sanitizeKeyMod). */
export function journalField(label: string): string {
  return label.toUpperCase().replace(/[^A-Z0-9_]/g, "_").replace(/^_+/, "");
}

export type LogDriver = "local" | "journald";

export interface ContainerLogging {
  readonly logDriver: string;
  readonly logOpts: Record<string, string>;
}

/** What the stack tells `npm run ops` about its logs (a stack output). */
export interface LogsOutput {
  readonly driver: LogDriver;
  /** The journald tag of the stack's containers: unique per Docker host. */
  readonly tag: string;
}

const TAG = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** journald with the stack's tag and the role and release fields. */
export function journaldLogging(tag: string): ContainerLogging {
  // A tag is a Go template to Docker; only plain names, so it is the same string in the journal.
  if (!TAG.test(tag)) throw new Error(`not a plain journald tag: ${JSON.stringify(tag)}`);
  return { logDriver: "journald", logOpts: { tag, labels: [ROLE_LABEL, RELEASE_LABEL].join(",") } };
}

const CONTAINER = "docker:index/container:Container";

/**
 * A transformation for the app component: every Docker container under it logs as `logging`
 * says. The roles keep the rotated `local` driver as their own default (engine tests and the
 * local stack use them as they are); a stack that wants the journal sets it once here.
 */
export function containerLogging(logging: ContainerLogging): pulumi.ResourceTransformation {
  return (args) => {
    if (args.type !== CONTAINER) return undefined;
    return { props: { ...args.props, logDriver: logging.logDriver, logOpts: logging.logOpts }, opts: args.opts };
  };
}
