import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface ImageReference {
  /** Registry and path without tag or digest, e.g. ghcr.io/docstown/docstown or caddy. */
  readonly repository: string;
  readonly tag?: string;
  /** sha256:<64 hex> when the reference already pins one. */
  readonly digest?: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Splits `repo[:tag][@sha256:…]`; a colon before the last slash is a registry port, not a tag. */
export function parseImageReference(reference: string): ImageReference {
  const [withoutDigest = "", digest, ...rest] = reference.split("@");
  if (rest.length > 0 || withoutDigest === "") throw new Error(`not an image reference: ${reference}`);
  if (digest !== undefined && !DIGEST.test(digest)) throw new Error(`not a sha256 digest in ${reference}`);
  const colon = withoutDigest.lastIndexOf(":");
  const hasTag = colon > withoutDigest.lastIndexOf("/");
  const repository = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  const tag = hasTag ? withoutDigest.slice(colon + 1) : undefined;
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `repo@sha256:…`: what is pulled, and what a rollback names. */
export function pinnedName(repository: string, digest: string): string {
  if (!DIGEST.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
  return `${repository}@${digest}`;
}

export interface PinnedImageArgs {
  /** `repo:tag`, `repo@sha256:…` or `repo:tag@sha256:…`. */
  readonly reference: string;
  /** Deploy exactly this digest (rollback, or the digest another host resolved); overrides the tag. */
  readonly digest?: pulumi.Input<string>;
  /**
   * "registry": resolve the tag to its digest in the registry at every deploy, so a moved tag is
   * a new deploy and an unmoved one changes nothing. "daemon": an image built on the Docker host.
   */
  readonly source: "registry" | "daemon";
  readonly provider: docker.Provider;
  /** Identity of the Docker host; a new host (a replaced droplet) pulls the image again. */
  readonly host?: pulumi.Input<string>;
  /**
   * What the registry lookup must wait for: the step after which the Docker host answers. Until
   * then the provider is unconfigured, and the engine answers a lookup through it with an empty,
   * known result (no digest) instead of an unknown one, which would fail a first preview.
   */
  readonly after?: readonly pulumi.Resource[];
}

export interface PinnedImage {
  readonly image: docker.RemoteImage;
  /** The manifest digest (registry) or image id (daemon): what SENTRY_RELEASE reports. */
  readonly digest: pulumi.Output<string>;
  /**
   * The image id containers run. Not `repo@sha256:…`: the provider reads a container's image
   * back as its id, so a repo digest would differ from the state and replace the container on
   * every deploy (pulumi-docker #1431, terraform-provider-docker #443).
   */
  readonly imageId: pulumi.Output<string>;
}

function pullOn(host: pulumi.Input<string> | undefined): { pullTriggers?: pulumi.Input<string>[] } {
  return host === undefined ? {} : { pullTriggers: [host] };
}

/** Resolves and pulls one image as a child of `parent`; the pulled copy stays for rollbacks. */
export function pinImage(name: string, args: PinnedImageArgs, parent: pulumi.Resource): PinnedImage {
  const ref = parseImageReference(args.reference);
  const opts = { parent, provider: args.provider };
  if (args.source === "daemon") {
    const local = ref.tag !== undefined ? `${ref.repository}:${ref.tag}` : args.reference;
    const image = new docker.RemoteImage(name, { name: local, keepLocally: true, ...pullOn(args.host) }, opts);
    return { image, digest: image.imageId, imageId: image.imageId };
  }
  const pinned = args.digest ?? ref.digest;
  const digest =
    pinned !== undefined
      ? pulumi.output(pinned)
      : docker.getRegistryImageOutput(
          { name: `${ref.repository}:${ref.tag ?? "latest"}` },
          { ...opts, dependsOn: [...(args.after ?? [])] },
        ).sha256Digest;
  // The digest is in the name, so a new digest replaces (and pulls) the image by itself; the only
  // pull trigger is a new host, whose engine has never seen the image.
  const image = new docker.RemoteImage(
    name,
    { name: digest.apply((d) => pinnedName(ref.repository, d)), keepLocally: true, ...pullOn(args.host) },
    opts,
  );
  return { image, digest, imageId: image.imageId };
}
