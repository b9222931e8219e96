import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { cloudflareAlwaysHttps, cloudflareKnownResourceTypes, cloudflareMinTls, cloudflareSslStrict, cloudflareWebRecordsProxied } from "./cloudflare";
import { containerCapabilityNames, containerUploadUser, containerVolumeOptions } from "./container-daemon-forms";
import { containerNoDockerSocket, containerNoSensitiveHostPaths } from "./container-host-paths";
import {
  containerCapabilities,
  containerNoHostDevices,
  containerNonRoot,
  containerNotPrivileged,
  containerSecurityOptions,
} from "./container-privileges";
import {
  containerImageDigest,
  containerLogRotation,
  containerMemoryLimit,
  containerNoHostNamespaces,
  containerNoNewPrivileges,
  containerReadOnlyRootfs,
  containerRestartPolicy,
  containerRoleLabel,
  containerWebHealthcheck,
} from "./containers";
import { databaseClusterProtected, databaseFirewallPresent, databaseFirewallRestricted, databasePrivateNetwork } from "./database";
import { loadBalancerFirewallCloudflare, loadBalancerNoPlainHttpToWorld } from "./load-balancer";
import { dropletFirewallAttached, dropletMonitoring, dropletSshKeys, firewallInboundRestricted } from "./droplet";
import { persistentVolumePresence } from "./persistent-volume";
import { replacementNameReuse } from "./replacement";
import { containerSecretEnvNames } from "./secret-env";

/** The pack's default level; every policy also states its own. */
export const enforcementLevel: EnforcementLevel = "mandatory";

/** Every policy of the DocsTown pack, in the order CrossGuard reports them. */
export const allPolicies: Policies = [
  persistentVolumePresence,
  databaseClusterProtected,
  databasePrivateNetwork,
  databaseFirewallRestricted,
  databaseFirewallPresent,
  replacementNameReuse,
  dropletSshKeys,
  dropletMonitoring,
  dropletFirewallAttached,
  firewallInboundRestricted,
  loadBalancerNoPlainHttpToWorld,
  loadBalancerFirewallCloudflare,
  containerRoleLabel,
  containerImageDigest,
  containerNotPrivileged,
  containerNoHostNamespaces,
  containerNoDockerSocket,
  containerNoSensitiveHostPaths,
  containerCapabilities,
  containerCapabilityNames,
  containerSecurityOptions,
  containerNoHostDevices,
  containerUploadUser,
  containerVolumeOptions,
  containerRestartPolicy,
  containerLogRotation,
  containerMemoryLimit,
  containerWebHealthcheck,
  containerReadOnlyRootfs,
  containerNonRoot,
  containerNoNewPrivileges,
  containerSecretEnvNames,
  cloudflareWebRecordsProxied,
  cloudflareKnownResourceTypes,
  cloudflareSslStrict,
  cloudflareMinTls,
  cloudflareAlwaysHttps,
];
