import * as pulumi from "@pulumi/pulumi";

/**
 * Why the migrate step is a docker.Container gated on its exit code.
 *
 * The provider (terraform-provider-docker, resource_docker_container_funcs.go) waits for an
 * `attach: true` container to stop, but never looks at its exit code:
 * - with `mustRun: true` the read after the wait finds the container stopped, deletes it and
 *   fails with "container exited immediately", whatever the exit code, even 0;
 * - with `mustRun: false` it records `exitCode` and succeeds, even on 1.
 * So the container runs with `attach: true, mustRun: false`, and the web and worker images are
 * derived from its `exitCode` through `migratedImage`: a non-zero code fails the program before
 * either is registered. Nothing of the running release is touched (Pulumi never deletes
 * resources a failed program did not register), and the failed container stays in the state
 * and on the host (`docker logs`), so a rerun of the same digest fails again until the cause is
 * fixed and the step replaced.
 */

/** Lines of the step's own output shown in the failure: the error and what led to it. */
export const FAILURE_OUTPUT_LINES = 20;

/** The last `lines` non-empty lines of `output`, each indented under the message. */
export function outputTail(output: string | undefined, lines = FAILURE_OUTPUT_LINES): string {
  const kept = (output ?? "").split(/\r?\n/).filter((l) => l.trim() !== "").slice(-lines);
  return kept.length === 0 ? "" : `\nits last ${kept.length} line(s) of output:\n${kept.map((l) => `  | ${l}`).join("\n")}`;
}

/** Why a one-shot step blocks the rollout, or undefined when it succeeded. */
export function migrationFailure(exitCode: number | undefined, container: string, step = "bin/rails db:prepare", output?: string): string | undefined {
  if (exitCode === 0) return undefined;
  const what = exitCode === undefined ? "reported no exit code" : `exited with code ${exitCode}`;
  return (
    `${step} in container ${container} ${what}; the new release was not started and the ` +
    `running one keeps serving. Read its output with: docker logs ${container} (on the Docker host). ` +
    `After fixing the cause, run it again with: pulumi up --replace <urn of that container>` +
    outputTail(output)
  );
}

/**
 * The image id web and worker run, available only once the migration succeeded. Unknown during a
 * preview of a new release (the migration has not run yet), which is what a preview should show.
 */
export function migratedImage(
  migrate: { exitCode: pulumi.Output<number>; name: pulumi.Output<string>; containerLogs?: pulumi.Output<string | undefined> },
  imageId: pulumi.Input<string>,
  step?: string,
): pulumi.Output<string> {
  // The step's output is stored as a secret (a migration may print anything) and shown only in
  // the failure; unwrapped here so the image id web and worker run stays readable in a preview.
  const logs = pulumi.unsecret(migrate.containerLogs ?? pulumi.output(undefined));
  return pulumi.all([migrate.exitCode, migrate.name, imageId, logs]).apply(([code, name, id, output]) => {
    const failure = migrationFailure(code as number | undefined, name, step, output);
    if (failure !== undefined) throw new pulumi.RunError(failure);
    return id;
  });
}
