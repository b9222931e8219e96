import { gunzipSync } from "node:zlib";

/**
 * Reads droplet user-data (cloud-init) as text and answers one question: does it mount a given
 * block device at a given path, and with the `nofail` option?
 *
 * Recognised mount entries (the device first, the mount point after it):
 * - one line holding both: an fstab line, a cloud-init `mounts:` entry in flow style
 *   (`- [ /dev/disk/by-id/..., /data/repos, ext4, "defaults,nofail" ]`), a `mount ... dev path`
 *   command, or a helper call (`mount-volume.sh <device> <mount-point> <owner>`);
 * - a block-style YAML list whose item is the device and whose following sibling items hold the
 *   mount point (cloud-init `mounts:` or a `runcmd`/`bootcmd` argument list);
 * - a systemd mount unit: `What=<device>` with `Where=<mount point>` in the same section.
 * Comment lines are ignored. `nofail` counts as an option anywhere in the user-data (a helper script
 * such as src/server/mount-volume.sh carries the options itself). Single-line base64 payloads
 * (write_files `encoding: b64` / `gz+b64`) are decoded and searched as well.
 */

export type MountState = "mounted" | "mounted-without-nofail" | "not-mounted";

const DO_VOLUME_PREFIX = "/dev/disk/by-id/scsi-0DO_Volume_";
const NAME_CHAR = "A-Za-z0-9._\\-";

/** The by-id device path DigitalOcean gives a volume named `name`. */
export function volumeDevicePath(name: string): string {
  return `${DO_VOLUME_PREFIX}${name}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function deviceRegExp(volumeName: string | undefined): RegExp {
  const name = volumeName === undefined ? `[${NAME_CHAR}]+` : escapeRegExp(volumeName);
  return new RegExp(`${escapeRegExp(DO_VOLUME_PREFIX)}${name}(?![${NAME_CHAR}])`);
}

function pathRegExp(mountPath: string): RegExp {
  return new RegExp(`(?<![${NAME_CHAR}/])${escapeRegExp(mountPath)}(?![${NAME_CHAR}/])`);
}

const NOFAIL = /(^|[\s,="'])nofail(?=$|[\s,"'\]])/;

function isComment(line: string): boolean {
  const trimmed = line.trim();
  return trimmed.startsWith("#") && !trimmed.startsWith("#cloud-config");
}

/** Decodes single-line base64 payloads (plain or gzip) that hold text. */
function decodedPayloads(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/[A-Za-z0-9+/]{40,}={0,2}/g)) {
    try {
      let bytes = Buffer.from(match[0], "base64");
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
      const decoded = bytes.toString("utf8");
      // Keep only what reads as text; random binary would only add noise.
      if (/^[\t\n\r\x20-\x7e]*$/.test(decoded)) out.push(decoded);
    } catch {
      // Not base64 after all: ignore.
    }
  }
  return out;
}

/** The lines that belong to the mount entry starting at `lines[at]`, the device's line. */
function entryLines(lines: readonly string[], at: number, device: RegExp): string[] {
  const first = lines[at] ?? "";
  const entry = [first];
  const listItem = new RegExp(`^(\\s*(?:-\\s+)*)-\\s+["']?${device.source}`).exec(first);
  if (listItem) {
    const column = (listItem[1] ?? "").length;
    const sibling = new RegExp(`^\\s{${column}}-\\s+\\S`);
    for (let i = at + 1; i < lines.length && entry.length < 8; i++) {
      const line = lines[i] ?? "";
      if (!sibling.test(line)) break;
      entry.push(line);
    }
    return entry;
  }
  if (/^\s*What\s*=/.test(first)) {
    for (let i = at + 1; i < lines.length; i++) {
      const line = lines[i] ?? "";
      if (line.trim() === "" || /^\s*\[/.test(line)) break;
      entry.push(line);
    }
  }
  return entry;
}

function mountsIn(text: string, device: RegExp, mountPath: RegExp): boolean {
  const lines = text.split(/\r?\n/);
  for (const [at, line] of lines.entries()) {
    if (isComment(line)) continue;
    const found = device.exec(line);
    if (!found) continue;
    const entry = entryLines(lines, at, device);
    const afterDevice = [line.slice(found.index + found[0].length), ...entry.slice(1)]
      .filter((l) => !isComment(l))
      .join("\n");
    const where = /^\s*What\s*=/.test(line)
      ? entry.find((l) => /^\s*Where\s*=/.test(l)) ?? ""
      : afterDevice;
    if (mountPath.test(where)) return true;
  }
  return false;
}

function hasNofail(text: string): boolean {
  return text.split(/\r?\n/).some((line) => !isComment(line) && NOFAIL.test(line));
}

/**
 * Does `userData` mount DigitalOcean volume `volumeName` (any DigitalOcean volume when the name is
 * not known) at `mountPath`, and is `nofail` among the options?
 */
export function findVolumeMount(userData: string, volumeName: string | undefined, mountPath: string): MountState {
  const texts = [userData, ...decodedPayloads(userData)];
  const device = deviceRegExp(volumeName);
  const path = pathRegExp(mountPath);
  if (!texts.some((t) => mountsIn(t, device, path))) return "not-mounted";
  return texts.some(hasNofail) ? "mounted" : "mounted-without-nofail";
}
