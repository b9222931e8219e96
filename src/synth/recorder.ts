import * as pulumi from "@pulumi/pulumi";
import { createMocks } from "./mocks";
import { resolveInputs, unwrapWire, valueOf } from "./walk";

/** Options a test or a policy may rely on, as the program declared them. */
export interface RecordedOptions {
  protect?: boolean;
  dependsOn: string[];
  deleteBeforeReplace?: boolean;
  ignoreChanges?: string[];
  retainOnDelete?: boolean;
  /** URN of the resource whose deletion takes this one with it (Pulumi then skips this one's delete). */
  deletedWith?: string;
  replaceOnChanges?: string[];
  additionalSecretOutputs?: string[];
  customTimeouts?: Record<string, string>;
}

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** The id the mock provider returned; absent for components. */
  id?: string;
  custom: boolean;
  parent?: string;
  /** URN of the provider that manages the resource, explicit or inherited; absent for the default provider. */
  provider?: string;
  /** Inputs as the provider receives them, secrets unwrapped (see `secretPaths`). */
  inputs: Record<string, unknown>;
  /** Paths into `inputs` holding Pulumi secrets (`envs[3]`, `userData`). */
  secretPaths: string[];
  options: RecordedOptions;
  /** Every resource this one waits for: explicit dependsOn plus the sources of its inputs. */
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Registration order, the order the program declared resources in. */
  order: number;
}

export interface SynthResult {
  project: string;
  stack: string;
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  outputSecretPaths: string[];
}

export interface RecordOptions {
  project: string;
  stack: string;
  /** Full config keys (`docstown:domain`) to their values; objects as JSON text, as Pulumi passes them. */
  config: Record<string, string>;
  secretKeys: string[];
}

interface Captured {
  resource: pulumi.Resource;
  type: string;
  name: string;
  props: Record<string, unknown>;
  opts: pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
}

interface WireRecord {
  inputs: unknown;
  id?: string;
  custom: boolean;
  provider?: string;
}

const urnOf = (r: pulumi.Resource) => valueOf(r.urn);

async function urnsOf(input: unknown): Promise<string[]> {
  if (input === undefined || input === null) return [];
  const value = pulumi.Output.isInstance(input) ? await valueOf(input) : await input;
  const list = Array.isArray(value) ? value : [value];
  const resolved = await Promise.all(list.map(async (r) => (pulumi.Output.isInstance(r) ? valueOf(r) : r)));
  return Promise.all(resolved.filter(pulumi.Resource.isInstance).map(urnOf));
}

/**
 * Runs a Pulumi program under the SDK's mock runtime and records every resource registration:
 * inputs as the provider would receive them, options as the program set them, and which
 * inputs are secret. The same recorder backs `npm run synth` and the tests.
 */
export async function record(program: () => unknown, options: RecordOptions): Promise<SynthResult> {
  pulumi.runtime.setAllConfig(options.config, options.secretKeys);
  const wire = new Map<string, WireRecord>();
  const mocks = createMocks();
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const answer = await mocks.newResource(args);
        wire.set(`${args.type}::${args.name}`, {
          inputs: args.inputs, custom: args.custom ?? true, provider: args.provider,
          id: args.custom === false ? undefined : answer.id,
        });
        return answer;
      },
      call: (args) => mocks.call(args),
    },
    options.project,
    options.stack,
    false,
  );

  const captured: Captured[] = [];
  let programOutputs: unknown = {};
  // A failure is carried out of the stack rather than thrown inside it: a rejected stack also
  // rejects promises the SDK keeps internally, which would surface later as unhandled rejections.
  let failure: { error: unknown } | undefined;
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      captured.push({ resource: args.resource, type: args.type, name: args.name, props: args.props, opts: args.opts });
      return undefined;
    });
    try {
      programOutputs = await program();
    } catch (error) {
      failure = { error };
      programOutputs = {};
    }
    return programOutputs as Record<string, unknown>;
  });
  if (failure !== undefined) {
    await (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs?.();
    throw failure.error;
  }

  const resources: RecordedResource[] = [];
  for (const [order, c] of captured.entries()) {
    const [urn, parent, explicitProvider, dependsOn, resolved, deletedWith] = await Promise.all([
      urnOf(c.resource),
      c.opts.parent ? urnOf(c.opts.parent) : Promise.resolve(undefined),
      c.opts.provider ? urnOf(c.opts.provider) : Promise.resolve(undefined),
      urnsOf(c.opts.dependsOn),
      resolveInputs(c.props),
      c.opts.deletedWith ? urnOf(c.opts.deletedWith) : Promise.resolve(undefined),
    ]);
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(c.props)) {
      const deps = (await resolveInputs(value)).dependencies;
      if (deps.size > 0) propertyDependencies[key] = [...new Set(await Promise.all([...deps].map(urnOf)))].sort();
    }
    const w = wire.get(`${c.type}::${c.name}`);
    const wireSecrets: string[] = [];
    const inputs = (w ? unwrapWire(w.inputs, "", wireSecrets) : resolved.value) as Record<string, unknown>;
    const provider = explicitProvider ?? (w?.provider ? w.provider.split("::").slice(0, -1).join("::") : undefined);
    const secretPaths = mergeSecretPaths(resolved.secretPaths, wireSecrets);
    const dependencies = new Set([...dependsOn, ...Object.values(propertyDependencies).flat()]);
    resources.push({
      urn, type: c.type, name: c.name, id: w?.id, custom: w?.custom ?? true, parent,
      provider: provider === "" || provider?.includes("default_") ? undefined : provider,
      inputs, secretPaths,
      options: { ...pickOptions(c.opts, dependsOn), ...(deletedWith !== undefined ? { deletedWith } : {}) },
      dependencies: [...dependencies].sort(), propertyDependencies, order,
    });
  }
  const real = engineUrns(resources, options);
  const map = (urn: string) => real.get(urn) ?? urn;
  for (const r of resources) {
    r.urn = map(r.urn);
    if (r.parent !== undefined) r.parent = real.has(r.parent) ? map(r.parent) : undefined;
    if (r.provider !== undefined) r.provider = map(r.provider);
    r.options.dependsOn = r.options.dependsOn.map(map);
    if (r.options.deletedWith !== undefined) r.options.deletedWith = map(r.options.deletedWith);
    r.dependencies = r.dependencies.map(map).sort();
    for (const key of Object.keys(r.propertyDependencies)) r.propertyDependencies[key] = (r.propertyDependencies[key] ?? []).map(map).sort();
  }
  const out = await resolveInputs(programOutputs);
  // Let the stack's last RPCs (its outputs) land before another run replaces the mock monitor.
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  await runtime.waitForRPCs?.();
  return {
    project: options.project, stack: options.stack, resources,
    outputs: (out.value ?? {}) as Record<string, unknown>, outputSecretPaths: out.secretPaths,
  };
}

/**
 * The wire format lifts secrecy to a whole top-level array (`envs`); the program's own Inputs say
 * which element was secret (`envs[3]`). The precise paths win where both speak of one property.
 */
function mergeSecretPaths(precise: readonly string[], wire: readonly string[]): string[] {
  const covered = (p: string) => precise.some((q) => q === p || q.startsWith(`${p}[`) || q.startsWith(`${p}.`) || q === "$");
  return [...new Set([...precise, ...wire.filter((p) => !covered(p))])].sort();
}

/**
 * URNs as the engine forms them: the qualified type carries every ancestor's type
 * (`docstown:server:Server$docstown:server:ReposVolume$digitalocean:index/volume:Volume`). The mock
 * monitor only prefixes the parent's own type, so names copied from a mock URN would not match
 * `pulumi stack --show-urns`, `--target` or `--replace`.
 */
function engineUrns(resources: readonly RecordedResource[], options: RecordOptions): Map<string, string> {
  const qualified = new Map<string, string>();
  const real = new Map<string, string>();
  for (const r of resources) {
    const parentType = r.parent === undefined ? undefined : qualified.get(r.parent);
    const type = parentType === undefined ? r.type : `${parentType}$${r.type}`;
    qualified.set(r.urn, type);
    real.set(r.urn, `urn:pulumi:${options.stack}::${options.project}::${type}::${r.name}`);
  }
  return real;
}

function pickOptions(opts: Captured["opts"], dependsOn: string[]): RecordedOptions {
  const picked: RecordedOptions = { dependsOn };
  if (opts.protect !== undefined) picked.protect = opts.protect;
  if (opts.deleteBeforeReplace !== undefined) picked.deleteBeforeReplace = opts.deleteBeforeReplace;
  if (opts.ignoreChanges !== undefined) picked.ignoreChanges = [...opts.ignoreChanges];
  if (opts.retainOnDelete !== undefined) picked.retainOnDelete = opts.retainOnDelete;
  if (opts.replaceOnChanges !== undefined) picked.replaceOnChanges = [...opts.replaceOnChanges];
  if (opts.additionalSecretOutputs !== undefined) picked.additionalSecretOutputs = [...opts.additionalSecretOutputs];
  if (opts.customTimeouts !== undefined) picked.customTimeouts = { ...opts.customTimeouts } as Record<string, string>;
  return picked;
}
