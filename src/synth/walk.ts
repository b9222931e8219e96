import * as pulumi from "@pulumi/pulumi";

/** Values as they reach the mock monitor: secrets wrapped in Pulumi's wire signature. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Resolved {
  readonly value: unknown;
  /** Dotted/indexed paths (`envs[3]`, `connection.password`) of values that are Pulumi secrets. */
  readonly secretPaths: string[];
  /** Resources each top-level property depends on through Outputs. */
  readonly dependencies: Set<pulumi.Resource>;
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => {
    output.apply((v) => {
      resolve(v);
      return v;
    });
  });
}

/**
 * Resolves a tree of Inputs as a program declared them, keeping what the mock monitor cannot:
 * which leaf was secret and which resources it came from. (The wire format lifts secrecy to the
 * whole top-level array, so `envs` alone would not tell which variable was secret.)
 */
export async function resolveInputs(value: unknown, path = "", depth = 0): Promise<Resolved> {
  const secretPaths: string[] = [];
  const dependencies = new Set<pulumi.Resource>();
  if (depth > 40) return { value: "[too deep]", secretPaths, dependencies };
  if (pulumi.Output.isInstance(value)) {
    const [isSecret, resources, inner] = await Promise.all([
      pulumi.isSecret(value),
      pulumi.getAllResources(value),
      valueOf(value),
    ]);
    resources.forEach((r) => dependencies.add(r));
    const nested = await resolveInputs(inner, path, depth + 1);
    nested.dependencies.forEach((r) => dependencies.add(r));
    if (isSecret) secretPaths.push(path === "" ? "$" : path);
    return { value: nested.value, secretPaths: [...secretPaths, ...nested.secretPaths], dependencies };
  }
  if (value instanceof Promise) return resolveInputs(await value, path, depth + 1);
  if (pulumi.Resource.isInstance(value)) {
    dependencies.add(value);
    return { value: await valueOf(value.urn), secretPaths, dependencies };
  }
  if (Array.isArray(value)) {
    const items = await Promise.all(value.map((v, i) => resolveInputs(v, join(path, i), depth + 1)));
    items.forEach((it) => {
      secretPaths.push(...it.secretPaths);
      it.dependencies.forEach((r) => dependencies.add(r));
    });
    return { value: items.map((it) => it.value), secretPaths, dependencies };
  }
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const it = await resolveInputs(v, join(path, k), depth + 1);
      out[k] = it.value;
      secretPaths.push(...it.secretPaths);
      it.dependencies.forEach((r) => dependencies.add(r));
    }
    return { value: out, secretPaths, dependencies };
  }
  return { value, secretPaths, dependencies };
}

/** Strips the wire secret signature from values the mock monitor received, noting where it was. */
export function unwrapWire(value: unknown, path = "", secretPaths: string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrapWire(v, join(path, i), secretPaths));
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG) {
      secretPaths.push(path === "" ? "$" : path);
      return unwrapWire(record["value"], path, secretPaths);
    }
    if (pulumi.Resource.isInstance(value)) return "[resource]";
    if (pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value)) return "[asset]";
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = unwrapWire(v, join(path, k), secretPaths);
    return out;
  }
  return value;
}

export { valueOf };
