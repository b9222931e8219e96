import { z } from "zod";
import { localStackSchema, productionSchema } from "./schema";

export interface KeyDescription {
  /** `volume.sizeGb` */
  readonly path: string;
  readonly type: string;
  readonly default?: unknown;
  readonly required: boolean;
  readonly stacks: readonly ("digitalocean" | "local")[];
}

function unwrap(schema: z.ZodType): { inner: z.ZodType; default?: unknown; optional: boolean } {
  let current: z.ZodType = schema;
  let def: unknown;
  let optional = false;
  for (;;) {
    if (current instanceof z.ZodDefault) {
      def = current.def.defaultValue;
      optional = true;
      current = current.def.innerType as z.ZodType;
    } else if (current instanceof z.ZodOptional) {
      optional = true;
      current = current.def.innerType as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.def.in as z.ZodType;
    } else {
      return { inner: current, default: def, optional };
    }
  }
}

function typeName(schema: z.ZodType): string {
  if (schema instanceof z.ZodObject) return "object";
  if (schema instanceof z.ZodArray) return `list of ${typeName(unwrap(schema.def.element as z.ZodType).inner)}`;
  if (schema instanceof z.ZodEnum) return (schema.options as readonly unknown[]).map(String).join(" | ");
  if (schema instanceof z.ZodLiteral) return [...schema.values].map(String).join(" | ");
  if (schema instanceof z.ZodRecord) return "map";
  if (schema instanceof z.ZodDiscriminatedUnion || schema instanceof z.ZodUnion) return "one of several shapes";
  return schema.def.type;
}

function walk(shape: Record<string, z.ZodType>, prefix: string, out: Map<string, Omit<KeyDescription, "stacks">>, depth: number): void {
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const { inner, default: def, optional } = unwrap(child);
    out.set(path, { path, type: typeName(inner), default: def, required: !optional });
    if (depth < 2 && inner instanceof z.ZodObject) walk(inner.shape as Record<string, z.ZodType>, path, out, depth + 1);
  }
}

/** Every plain config key path (two levels deep) the program reads, for documentation checks. */
export function describeKeys(): KeyDescription[] {
  const byStack = { digitalocean: productionSchema, local: localStackSchema } as const;
  const merged = new Map<string, KeyDescription>();
  for (const [stack, schema] of Object.entries(byStack) as [keyof typeof byStack, z.ZodObject][]) {
    const found = new Map<string, Omit<KeyDescription, "stacks">>();
    walk(schema.shape as Record<string, z.ZodType>, "", found, 0);
    for (const d of found.values()) {
      const prev = merged.get(d.path);
      merged.set(d.path, { ...d, stacks: [...(prev?.stacks ?? []), stack] });
    }
  }
  return [...merged.values()].sort((a, b) => a.path.localeCompare(b.path));
}
