import { PolicyPack } from "@pulumi/policy";
import { allPolicies, enforcementLevel } from "./all";

// The only module that constructs the pack: the constructor starts CrossGuard's gRPC server.
// Tests and the offline synth import the policy modules (or ./all, ./run) instead.
new PolicyPack("docstown", { policies: allPolicies, enforcementLevel });
