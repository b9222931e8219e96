/**
 * The app's release announcement (a `repository_dispatch` with the image and its digest) turned
 * into the one change a deploy needs: `docstown:app.digest` in Pulumi.production.yaml. Pure: text
 * in, text out, so every deploy stays a reviewed, revertible commit and nothing here talks to
 * GitHub.
 *
 * Refused with a message and no change: a digest that is not `sha256:` + 64 hex digits, an image
 * other than `docstown:app.image` (a dispatch cannot redirect production to another repository),
 * a payload that is not two strings. A digest already pinned is no change either, and not an error.
 * The file keeps its comments and layout (yaml's Document API edits one scalar).
 */
import { isMap, isScalar, parseDocument } from "yaml";

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const APP_KEY = "docstown:app";

export interface ReleasePayload {
  readonly image: string;
  readonly digest: string;
}

export type PinResult =
  | { readonly kind: "pinned"; readonly text: string; readonly previous: string | undefined; readonly branch: string; readonly title: string }
  | { readonly kind: "unchanged"; readonly message: string }
  | { readonly kind: "refused"; readonly message: string };

/** At most this much of a value from the dispatch is echoed back in a message. */
const shown = (value: unknown) => JSON.stringify(typeof value === "string" ? value.slice(0, 100) : value ?? null);

export function releaseBranch(digest: string): string {
  return `release/app-${digest.slice("sha256:".length, "sha256:".length + 12)}`;
}

export function pinRelease(stackFileText: string, payload: { image?: unknown; digest?: unknown }): PinResult {
  const { image, digest } = payload;
  if (typeof digest !== "string" || !DIGEST.test(digest)) {
    return { kind: "refused", message: `the dispatch's digest ${shown(digest)} is not sha256: followed by 64 lower-case hex digits; nothing changed` };
  }
  if (typeof image !== "string" || image === "") {
    return { kind: "refused", message: `the dispatch names no image (client_payload.image is ${shown(image)}); nothing changed` };
  }
  const doc = parseDocument(stackFileText);
  if (doc.errors.length > 0) return { kind: "refused", message: `the stack file is not valid YAML: ${doc.errors[0]!.message}` };
  const app = doc.getIn(["config", APP_KEY], true);
  if (!isMap(app)) return { kind: "refused", message: `the stack file has no ${APP_KEY} mapping; nothing changed` };
  const configured = doc.getIn(["config", APP_KEY, "image"]);
  if (typeof configured !== "string") return { kind: "refused", message: `the stack file sets no ${APP_KEY}.image; nothing changed` };
  if (image !== configured) {
    return { kind: "refused", message: `the dispatch is for image ${shown(image)}, but production runs ${APP_KEY}.image ${shown(configured)}: a release of another image changes nothing (change app.image in a reviewed pull request first)` };
  }
  const current = doc.getIn(["config", APP_KEY, "digest"], true);
  const previous = isScalar(current) ? String(current.value) : undefined;
  if (previous === digest) {
    return { kind: "unchanged", message: `${image}@${digest} is already what ${APP_KEY}.digest pins: nothing to do` };
  }
  doc.setIn(["config", APP_KEY, "digest"], digest);
  return {
    kind: "pinned",
    // lineWidth 0: yaml would otherwise fold long values (the SSH keys) onto several lines.
    text: doc.toString({ lineWidth: 0 }),
    previous,
    branch: releaseBranch(digest),
    title: `Deploy ${image}@${digest.slice(0, "sha256:".length + 12)}`,
  };
}

/** The pull request's description: what changes, from what, and how it deploys. */
export function pullRequestBody(payload: ReleasePayload, previous: string | undefined, runUrl: string | undefined): string {
  return [
    `The app's repository announced a release: \`${payload.image}@${payload.digest}\`.`,
    "",
    `This pins \`docstown:app.digest\` in \`Pulumi.production.yaml\` (was ${previous === undefined ? "unset: the deploy resolved `docstown:app.tag`" : `\`${previous}\``}).`,
    "The preview in this pull request's checks shows what the deploy will do (it waits for a maintainer to approve the `preview` environment).",
    "Merging deploys it through `deploy.yml`; reverting the merge commit deploys the previous digest again.",
    "Migrations run before the new release serves and do not roll back (docs/rollback.md).",
    ...(runUrl ? ["", `Opened by ${runUrl}.`] : []),
  ].join("\n");
}
