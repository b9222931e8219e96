// Does what the program sends fit the plugin's schema? The mock runtime accepts any property; the
// real plugin drops or refuses what its schema lacks, so each input the SDK sends is checked here
// against the Pulumi package schema our Docker plugin generates (.engine/schemas/).

/** The parts of a Pulumi package schema this check reads. */
export interface PackageSchema {
  readonly provider?: { readonly inputProperties?: Readonly<Record<string, PropertySpec>> };
  readonly config?: { readonly variables?: Readonly<Record<string, PropertySpec>> };
  readonly resources?: Readonly<Record<string, { readonly inputProperties?: Readonly<Record<string, PropertySpec>> }>>;
  readonly functions?: Readonly<Record<string, { readonly inputs?: ObjectSpec }>>;
  readonly types?: Readonly<Record<string, ObjectSpec>>;
}

export interface PropertySpec {
  readonly type?: string;
  readonly $ref?: string;
  readonly items?: PropertySpec;
  readonly additionalProperties?: PropertySpec;
  readonly oneOf?: readonly PropertySpec[];
}

export interface ObjectSpec {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, PropertySpec>>;
}

/** How a value the program sends reads: the provider type token and the inputs, as synth records them. */
export interface SentInputs {
  readonly type: string;
  readonly name: string;
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** A provider resource's type token, e.g. `pulumi:providers:docker`. */
const PROVIDER_PREFIX = "pulumi:providers:";

/** The input properties the schema declares for a token (resource, provider or function). */
export function declaredInputs(schema: PackageSchema, type: string): Readonly<Record<string, PropertySpec>> | undefined {
  if (type.startsWith(PROVIDER_PREFIX)) return schema.provider?.inputProperties ?? schema.config?.variables;
  return schema.resources?.[type]?.inputProperties ?? schema.functions?.[type]?.inputs?.properties;
}

function localType(schema: PackageSchema, ref: string): ObjectSpec | undefined {
  const match = /^#\/types\/(.+)$/.exec(ref);
  return match?.[1] !== undefined ? schema.types?.[decodeURIComponent(match[1])] : undefined;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Problems of one value against its spec, each naming the property path. */
function checkValue(schema: PackageSchema, spec: PropertySpec, value: unknown, at: string): string[] {
  if (value === undefined || value === null) return [];
  if (spec.oneOf !== undefined) {
    const fits = spec.oneOf.some((alt) => checkValue(schema, alt, value, at).length === 0);
    return fits ? [] : [`${at}: ${describe(value)} fits none of the schema's alternatives`];
  }
  if (spec.$ref !== undefined) {
    // pulumi.json#/Any, Archive, Asset: anything goes.
    if (!spec.$ref.startsWith("#/types/")) return [];
    const object = localType(schema, spec.$ref);
    if (object === undefined) return [`${at}: the schema refers to ${spec.$ref}, which it does not define`];
    if (typeof value !== "object" || Array.isArray(value)) return [`${at}: the schema wants an object (${spec.$ref}), the program sends ${describe(value)}`];
    return checkObject(schema, object.properties ?? {}, value as Record<string, unknown>, at);
  }
  switch (spec.type) {
    case "string":
      return typeof value === "string" ? [] : [`${at}: the schema wants a string, the program sends ${describe(value)}`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${at}: the schema wants a boolean, the program sends ${describe(value)}`];
    case "integer":
      return Number.isInteger(value) ? [] : [`${at}: the schema wants an integer, the program sends ${JSON.stringify(value)}`];
    case "number":
      return typeof value === "number" ? [] : [`${at}: the schema wants a number, the program sends ${describe(value)}`];
    case "array": {
      if (!Array.isArray(value)) return [`${at}: the schema wants an array, the program sends ${describe(value)}`];
      const items = spec.items;
      return items === undefined ? [] : value.flatMap((v, i) => checkValue(schema, items, v, `${at}[${i}]`));
    }
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) return [`${at}: the schema wants a map, the program sends ${describe(value)}`];
      const each = spec.additionalProperties;
      return each === undefined ? [] : Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => checkValue(schema, each, v, `${at}.${k}`));
    }
    default:
      return [];
  }
}

function checkObject(schema: PackageSchema, properties: Readonly<Record<string, PropertySpec>>, value: Record<string, unknown>, at: string): string[] {
  return Object.entries(value).flatMap(([key, v]) => {
    const path = at === "" ? key : `${at}.${key}`;
    const spec = properties[key];
    if (spec === undefined) return v === undefined ? [] : [`${path}: not in the plugin's schema`];
    return checkValue(schema, spec, v, path);
  });
}

function decodeJsonText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/**
 * Every input the program sends that the schema lacks or shapes differently, as
 * `<type> <name>: <path>: <problem>`. Resources of other packages are ignored; a token the schema
 * does not know is itself a problem.
 */
export function schemaMismatches(schema: PackageSchema, packageName: string, sent: readonly SentInputs[]): string[] {
  const ours = sent.filter((r) => r.type === `${PROVIDER_PREFIX}${packageName}` || r.type.startsWith(`${packageName}:`));
  return ours.flatMap((r) => {
    const declared = declaredInputs(schema, r.type);
    if (declared === undefined) return [`${r.type} ${r.name}: the plugin's schema has no such type`];
    // The SDK adds `version` and `pluginDownloadURL` to provider inputs for the engine, not the
    // plugin, and sends every other non-string provider input as JSON text, which the bridge
    // decodes against the schema: check the decoded value.
    const inputs = r.type.startsWith(PROVIDER_PREFIX)
      ? Object.fromEntries(
          Object.entries(r.inputs)
            .filter(([k]) => k !== "version" && k !== "pluginDownloadURL")
            .map(([k, v]) => [k, declared[k]?.type !== "string" ? decodeJsonText(v) : v]),
        )
      : r.inputs;
    return checkObject(schema, declared, inputs as Record<string, unknown>, "").map((p) => `${r.type} ${r.name}: ${p}`);
  });
}
