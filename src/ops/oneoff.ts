// A one-off container "of the running release": the live container's image, environment, user,
// working directory, mounts, networks and limits, copied from what the Docker engine reports for
// it (`GET /containers/{id}/json`), with the operator's command. Pure functions; ./run.ts sends them.
import { DATABASE_CA_PATH } from "../database/rails";
import { RELEASE_LABEL } from "../app/logs";

/** The parts of `docker inspect` a one-off copies. */
export interface Inspected {
  readonly Id: string;
  readonly Image: string;
  readonly Config: {
    readonly Env?: string[] | null;
    readonly Entrypoint?: string[] | null;
    readonly WorkingDir?: string;
    readonly User?: string;
    readonly Labels?: Record<string, string> | null;
  };
  readonly HostConfig: Record<string, unknown>;
  readonly NetworkSettings: { readonly Networks?: Record<string, unknown> | null };
}

/** Files the program uploads into app containers (not in the image), copied into a one-off. */
export const UPLOADED_FILES = [DATABASE_CA_PATH];

export const ONEOFF_LABEL = "docstown.oneoff";

/** HostConfig fields copied as they are: mounts, identity and the same confinement and limits. */
const HOST_CONFIG_COPIED = [
  "Binds", "Mounts", "Tmpfs", "CapAdd", "CapDrop", "SecurityOpt", "Memory", "MemorySwap", "Ulimits", "Sysctls", "Init", "ReadonlyRootfs", "PidsLimit",
] as const;

export interface OneOff {
  /** `POST /containers/create` body. */
  readonly create: Record<string, unknown>;
  /** Networks to connect after the create (the API takes one at create time). */
  readonly moreNetworks: readonly string[];
}

export function oneOffContainer(live: Inspected, role: string, argv: readonly string[], tty: boolean): OneOff {
  const networks = Object.keys(live.NetworkSettings.Networks ?? {});
  const [first, ...more] = networks;
  const host: Record<string, unknown> = {};
  for (const key of HOST_CONFIG_COPIED) if (live.HostConfig[key] !== undefined && live.HostConfig[key] !== null) host[key] = live.HostConfig[key];
  const release = live.Config.Labels?.[RELEASE_LABEL];
  return {
    create: {
      Image: live.Image,
      Entrypoint: live.Config.Entrypoint ?? null,
      Cmd: [...argv],
      Env: live.Config.Env ?? [],
      User: live.Config.User ?? "",
      WorkingDir: live.Config.WorkingDir ?? "",
      // No docstown.role: nothing that manages or routes to a role's containers may take it for one.
      Labels: { [ONEOFF_LABEL]: role, ...(release !== undefined ? { [RELEASE_LABEL]: release } : {}) },
      Tty: tty,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      // Not a web server: no health check; never restarted.
      Healthcheck: { Test: ["NONE"] },
      HostConfig: {
        ...host,
        NetworkMode: first ?? "none",
        RestartPolicy: { Name: "no" },
        // Its output goes to the operator's terminal only, not into the host's logs.
        LogConfig: { Type: "none", Config: {} },
      },
      // No aliases: the proxy routes to the `web` alias, and a one-off must never receive requests.
      NetworkingConfig: { EndpointsConfig: first === undefined ? {} : { [first]: {} } },
    },
    moreNetworks: more,
  };
}

// --- a one-file tar (what PUT /containers/{id}/archive takes) -------------------------------

/** The first file's content in a tar stream (`GET /containers/{id}/archive` of one file). */
export function firstTarFile(tar: Buffer): Buffer {
  const header = tar.subarray(0, 512);
  const size = parseInt(header.subarray(124, 136).toString("ascii").replace(/\0.*$/, "").trim() || "0", 8);
  return tar.subarray(512, 512 + size);
}

/** A tar holding `content` at `path` (absolute, unpacked at /), mode 0444, owned by root. */
export function oneFileTar(path: string, content: Buffer): Buffer {
  const name = path.replace(/^\/+/, "");
  if (Buffer.byteLength(name) > 99) throw new Error(`path too long for a plain tar header: ${path}`);
  const header = Buffer.alloc(512, 0);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0";
  header.write(name, 0, "utf8");
  header.write(octal(0o444, 8), 100, "ascii");
  header.write(octal(0, 8), 108, "ascii");
  header.write(octal(0, 8), 116, "ascii");
  header.write(octal(content.length, 12), 124, "ascii");
  header.write(octal(Math.floor(Date.now() / 1000), 12), 136, "ascii");
  header.write("        ", 148, "ascii");
  header.write("0", 156, "ascii");
  header.write("ustar\0" + "00", 257, "ascii");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024, 0)]);
}
