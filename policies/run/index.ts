/**
 * Offline policy runs, without the Pulumi engine: the synth and the tests call the pack's own
 * policy functions on a recorded graph with the arguments CrossGuard would pass.
 * - adapter.ts: the recorded graph as CrossGuard's argument objects;
 * - config.ts: policy levels and properties, reconciled as the engine does;
 * - runner.ts: which policy runs on what, in CrossGuard's order;
 * - report.ts: violations, and what a thrown error becomes;
 * - pack.ts: the DocsTown pack plus the plain-secret check only the recording can do.
 */
export type { RecordedPolicyResource } from "./adapter";
export type { PolicyPackConfigInput } from "./config";
export type { PolicyViolation } from "./report";
export { type RunOptions, runPolicyPack } from "./runner";
export { runPolicies } from "./pack";
