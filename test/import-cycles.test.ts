import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";

/**
 * No module under src/ may import itself through others. A cycle makes load order matter (one
 * side sees the other half-initialised: a schema built from `undefined`), and it says two
 * concerns were not really separated. Type-only imports count too: they are still a dependency
 * of one file on the other, and the next edit may turn them into value imports.
 */

const SRC = resolve(__dirname, "..", "src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

/** Relative specifiers of every `import … from`, `export … from`, `import("…")` and `require("…")`. */
export function relativeImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/g,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      const specifier = match[1] as string;
      if (specifier.startsWith(".")) found.push(specifier);
    }
  }
  return found;
}

function resolveModule(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile() && candidate.endsWith(".ts")) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = relativeImports(readFileSync(file, "utf8"))
      .map((s) => resolveModule(file, s))
      .filter((t): t is string => t !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the list of files from its first to itself. */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (state.get(node) === undefined) visit(node);
  return found;
}

describe("the import graph under src/", () => {
  test("the walk finds a cycle when there is one, type-only imports included", () => {
    const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
    assert.deepEqual(cycles(graph), [["a", "b", "c", "a"]]);
    assert.deepEqual(cycles(new Map([["a", ["b"]], ["b", []]])), []);
    assert.deepEqual(
      relativeImports(`import type { X } from "../config/schema";\nexport { y } from './y';\nimport "./side";\nimport { z } from "zod";\n// import { no } from "./commented";`),
      ["../config/schema", "./y", "./side"],
    );
  });

  test("has no cycle", () => {
    const files = tsFiles(SRC);
    assert.ok(files.length > 20, `only ${files.length} files found under ${SRC}`);
    const graph = importGraph(files);
    const edges = [...graph.values()].reduce((n, targets) => n + targets.length, 0);
    assert.ok(edges > files.length, `only ${edges} imports resolved: the walk is not reading the files`);
    const found = cycles(graph).map((cycle) => cycle.map((f) => relative(SRC, f)).join(" -> "));
    assert.deepEqual(found, []);
  });
});
