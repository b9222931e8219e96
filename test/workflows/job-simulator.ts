// Runs a workflow job's steps the way GitHub decides which run: each step's `if:` (a missing one is
// `success()`, one without a status function is `success() && (…)`), the job status after a
// failure or a cancel, `steps.<id>.outcome` and `steps.<id>.outputs`. What a step does is the
// caller's: it returns the step's outcome (and outputs). Only the expression forms our workflows
// use are understood; anything else throws, so a new form cannot pass unnoticed.

export type Outcome = "success" | "failure" | "cancelled" | "skipped";

export interface SimStep {
  readonly name?: string;
  readonly id?: string;
  readonly if?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly env?: Record<string, unknown>;
  readonly with?: Record<string, unknown>;
}

export interface StepResult {
  readonly outcome: Exclude<Outcome, "skipped">;
  readonly outputs?: Record<string, string>;
}

interface Context {
  readonly status: "success" | "failure" | "cancelled";
  readonly steps: Record<string, { outcome: Outcome; outputs: Record<string, string> }>;
}

type Token = { t: "op"; v: string } | { t: "str"; v: string } | { t: "fn"; v: string } | { t: "path"; v: string };

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(&&|\|\||==|!=|!|\(|\))|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_]*)\(\)|([A-Za-z_][A-Za-z0-9_.-]*))/y;
  let i = 0;
  const text = expr.trim().replace(/^\$\{\{\s*|\s*\}\}$/g, "");
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw new Error(`cannot read expression at "${text.slice(i)}"`);
    if (m[1] !== undefined) tokens.push({ t: "op", v: m[1] });
    else if (m[2] !== undefined) tokens.push({ t: "str", v: m[2].replace(/''/g, "'") });
    else if (m[3] !== undefined) tokens.push({ t: "fn", v: m[3] });
    else tokens.push({ t: "path", v: m[4]! });
    i = re.lastIndex;
    while (text[i] === " ") i++;
  }
  return tokens;
}

export function hasStatusFunction(expr: string): boolean {
  return tokenize(expr).some((t) => t.t === "fn" && ["success", "failure", "always", "cancelled"].includes(t.v));
}

export function evaluate(expr: string, ctx: Context): unknown {
  const tokens = tokenize(expr);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (v: string) => {
    const t = tokens[pos];
    if (t?.t !== "op" || t.v !== v) throw new Error(`expected ${v} in ${expr}`);
    pos++;
  };
  const truthy = (v: unknown) => v !== false && v !== "" && v !== undefined && v !== null && v !== 0;
  function primary(): unknown {
    const t = tokens[pos++];
    if (!t) throw new Error(`unexpected end of ${expr}`);
    if (t.t === "op" && t.v === "(") {
      const v = or();
      take(")");
      return v;
    }
    if (t.t === "str") return t.v;
    if (t.t === "fn") {
      switch (t.v) {
        case "success": return ctx.status === "success";
        case "failure": return ctx.status === "failure";
        case "cancelled": return ctx.status === "cancelled";
        case "always": return true;
        default: throw new Error(`unknown function ${t.v}() in ${expr}`);
      }
    }
    if (t.t === "path") {
      const parts = t.v.split(".");
      if (parts[0] === "steps" && parts.length >= 3) {
        const step = ctx.steps[parts[1]!];
        if (parts[2] === "outcome" && parts.length === 3) return step?.outcome ?? "";
        if (parts[2] === "outputs" && parts.length === 4) return step?.outputs[parts[3]!] ?? "";
      }
      throw new Error(`unknown context ${t.v} in ${expr}`);
    }
    throw new Error(`unexpected ${t.v} in ${expr}`);
  }
  function cmp(): unknown {
    const left = primary();
    const t = peek();
    if (t?.t === "op" && (t.v === "==" || t.v === "!=")) {
      pos++;
      const right = primary();
      return t.v === "==" ? left === right : left !== right;
    }
    return left;
  }
  function unary(): unknown {
    const t = peek();
    if (t?.t === "op" && t.v === "!") {
      pos++;
      return !truthy(unary());
    }
    return cmp();
  }
  function and(): unknown {
    let v = unary();
    while (peek()?.t === "op" && peek()!.v === "&&") {
      pos++;
      const r = unary();
      v = truthy(v) ? r : v;
    }
    return v;
  }
  function or(): unknown {
    let v = and();
    while (peek()?.t === "op" && peek()!.v === "||") {
      pos++;
      const r = and();
      v = truthy(v) ? v : r;
    }
    return v;
  }
  const value = or();
  if (pos !== tokens.length) throw new Error(`trailing tokens in ${expr}`);
  return truthy(value);
}

export interface JobRun {
  readonly status: "success" | "failure" | "cancelled";
  /** Outcome of every step, by name (or run text). */
  readonly outcomes: Record<string, Outcome>;
  readonly ran: string[];
}

export function stepLabel(step: SimStep): string {
  return step.name ?? step.id ?? step.run ?? step.uses ?? "?";
}

/** Runs the steps in order; `act` does a step and says how it ended. */
export async function simulateJob(steps: readonly SimStep[], act: (step: SimStep) => Promise<StepResult> | StepResult): Promise<JobRun> {
  const ctx: { status: Context["status"]; steps: Context["steps"] } = { status: "success", steps: {} };
  const outcomes: Record<string, Outcome> = {};
  const ran: string[] = [];
  for (const step of steps) {
    const expr = step.if === undefined ? "success()" : hasStatusFunction(step.if) ? step.if : `success() && (${step.if})`;
    const runs = evaluate(expr, ctx) === true;
    let outcome: Outcome = "skipped";
    let outputs: Record<string, string> = {};
    if (runs) {
      ran.push(stepLabel(step));
      const result = await act(step);
      outcome = result.outcome;
      outputs = result.outputs ?? {};
      if (outcome === "failure" && ctx.status === "success") ctx.status = "failure";
      if (outcome === "cancelled") ctx.status = "cancelled";
    }
    outcomes[stepLabel(step)] = outcome;
    if (step.id) ctx.steps[step.id] = { outcome, outputs };
  }
  return { status: ctx.status, outcomes, ran };
}
