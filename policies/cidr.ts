/**
 * The one CIDR parser of the project, shared by the config schema (src/config/primitives.ts) and
 * the policy pack, so that "which addresses does this source admit" has one answer everywhere.
 * Self-contained (no Node or provider import): the pack must load without the program.
 *
 * Strict on purpose: what an operator writes must mean one thing.
 * - IPv4: four decimal octets 0-255 without leading zeros (`010` is octal to some parsers).
 * - IPv6: RFC 4291 text forms (`::`, an embedded IPv4 tail); no zone id. Any valid spelling is
 *   accepted and rewritten in RFC 5952's canonical form (lower case, longest zero run as `::`),
 *   the form providers return, so that a spelling is never a diff.
 * - Prefix length: decimal without leading zeros (`/00` is refused), at most 32 or 128.
 * - Host bits: a network whose address has bits set below its prefix (`203.0.113.7/24`) is
 *   refused, not silently widened or narrowed: did the writer mean /32 or the whole /24?
 *   `parseSource` (the pack's reader of what reached a firewall) masks them instead: there the
 *   question is what the firewall admits, which is the whole network.
 */

export type IpVersion = 4 | 6;

export interface Network {
  readonly version: IpVersion;
  /** First address of the network. */
  readonly address: bigint;
  readonly prefix: number;
}

/** `hostBits`: the text is a well-formed address and prefix, but the address is not the network's first. */
export type CidrResult = { ok: true; network: Network; text: string } | { ok: false; problem: string; hostBits?: true };

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };

export const bitsOf = (version: IpVersion): number => BITS[version];

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let head = text;
  let tail: bigint | undefined;
  let groupsWanted = 8;
  if (text.includes(".")) {
    // An embedded IPv4 tail (`::ffff:192.0.2.1`) stands for the last two groups.
    const at = text.lastIndexOf(":");
    tail = at < 0 ? undefined : parseIpv4(text.slice(at + 1));
    if (tail === undefined) return undefined;
    head = text.slice(0, at + 1);
    if (!head.endsWith("::")) head = head.slice(0, -1);
    groupsWanted = 6;
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const split = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(":"));
  const left = split(halves[0]);
  const right = halves.length === 2 ? split(halves[1]) : [];
  if (![...left, ...right].every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  const explicit = left.length + right.length;
  let groups: string[];
  if (halves.length === 2) {
    if (explicit > groupsWanted - 1) return undefined;
    groups = [...left, ...Array<string>(groupsWanted - explicit).fill("0"), ...right];
  } else {
    if (explicit !== groupsWanted) return undefined;
    groups = left;
  }
  const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
  return tail === undefined ? value : (value << 32n) | tail;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
}

/** RFC 5952: lower-case hex, no leading zeros, the longest run (>= 2) of zero groups as `::`. */
function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}

export function formatAddress(version: IpVersion, value: bigint): string {
  return version === 4 ? formatIpv4(value) : formatIpv6(value);
}

export function formatNetwork(n: Network): string {
  return `${formatAddress(n.version, n.address)}/${n.prefix}`;
}

function parseAddress(text: string): { version: IpVersion; value: bigint } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = text.includes(":") ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

const hostMask = (version: IpVersion, prefix: number): bigint => (1n << BigInt(BITS[version] - prefix)) - 1n;

function parse(value: string, options: { bareAddress: boolean; maskHostBits: boolean }): CidrResult {
  const slash = value.indexOf("/");
  const addressText = slash < 0 ? value : value.slice(0, slash);
  const prefixText = slash < 0 ? undefined : value.slice(slash + 1);
  const address = parseAddress(addressText);
  if (address === undefined) return { ok: false, problem: `${JSON.stringify(addressText)} is not an IPv4 or IPv6 address` };
  const bits = BITS[address.version];
  let prefix = bits;
  if (prefixText === undefined) {
    if (!options.bareAddress) return { ok: false, problem: `the prefix length is missing (write /${bits} for one address)` };
  } else {
    if (!/^\d+$/.test(prefixText)) return { ok: false, problem: `the prefix length ${JSON.stringify(prefixText)} is not a number` };
    if (/^0\d/.test(prefixText)) return { ok: false, problem: `the prefix length ${prefixText} has a leading zero` };
    prefix = Number(prefixText);
    if (prefix > bits) return { ok: false, problem: `the prefix length ${prefix} is longer than ${bits} bits` };
  }
  const hostBits = address.value & hostMask(address.version, prefix);
  if (hostBits !== 0n && !options.maskHostBits) {
    const network = formatNetwork({ version: address.version, address: address.value - hostBits, prefix });
    const one = `${formatAddress(address.version, address.value)}/${bits}`;
    return { ok: false, problem: `${value} has host bits set; write the network ${network}, or ${one} for the one address`, hostBits: true };
  }
  const network: Network = { version: address.version, address: address.value - hostBits, prefix };
  return { ok: true, network, text: formatNetwork(network) };
}

/** A network as an operator writes it in config: `address/prefix`, strict, host bits refused. */
export function parseCidr(value: string): CidrResult {
  return parse(value, { bareAddress: false, maskHostBits: false });
}

/**
 * A firewall source as a provider holds it: a bare address is one host, host bits are masked
 * (the firewall admits the whole network). Anything unreadable is a problem for the caller to
 * report: the pack cannot tell what it admits.
 */
export function parseSource(value: string): CidrResult {
  return parse(value.trim(), { bareAddress: true, maskHostBits: true });
}

export function addressCount(n: Network): bigint {
  return 1n << BigInt(BITS[n.version] - n.prefix);
}

export const lastAddress = (n: Network): bigint => n.address + addressCount(n) - 1n;

/** The networks of one version as sorted, merged [first, last] ranges. */
export function mergedRanges(networks: readonly Network[], version: IpVersion): [bigint, bigint][] {
  const ranges = networks
    .filter((n) => n.version === version)
    .map((n): [bigint, bigint] => [n.address, lastAddress(n)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const [first, last] of ranges) {
    const top = merged[merged.length - 1];
    if (top !== undefined && first <= top[1] + 1n) top[1] = last > top[1] ? last : top[1];
    else merged.push([first, last]);
  }
  return merged;
}

/** How many addresses of one version the networks admit together (overlaps counted once). */
export function unionAddressCount(networks: readonly Network[], version: IpVersion): bigint {
  return mergedRanges(networks, version).reduce((sum, [first, last]) => sum + (last - first + 1n), 0n);
}

/** Does `inner` lie wholly inside the union of `outer`? */
export function isInside(inner: Network, outer: readonly Network[]): boolean {
  const last = lastAddress(inner);
  return mergedRanges(outer, inner.version).some(([first, end]) => first <= inner.address && last <= end);
}

/** The whole address space of a version (`0.0.0.0/0`, `::/0`). */
export function isWholeSpace(n: Network): boolean {
  return n.prefix === 0;
}

/** The broadest prefix allowed per version, and what it means as an address count. */
export interface BroadestPrefix {
  readonly ipv4: number;
  readonly ipv6: number;
}

export const DEFAULT_BROADEST_PREFIX: BroadestPrefix = { ipv4: 16, ipv6: 48 };

export const prefixLimit = (limits: BroadestPrefix, version: IpVersion): number => (version === 4 ? limits.ipv4 : limits.ipv6);

/** Addresses one network of the broadest allowed prefix holds: the cap on the union. */
export const unionLimit = (limits: BroadestPrefix, version: IpVersion): bigint => 1n << BigInt(BITS[version] - prefixLimit(limits, version));

/** `IPv4`/`IPv6`. */
export const versionName = (version: IpVersion): string => `IPv${version}`;
