import { ADMIN_DATABASE } from "./rails";

/**
 * The `postgresql` provider's connection as the cluster admin (`doadmin`), over the public host:
 * the operator's machine is outside the VPC. Pure, so the real-PostgreSQL test connects with
 * exactly these settings.
 *
 * `verify-full`: the server's certificate must chain to the cluster's CA (`sslrootcert`, a file
 * path: see ./ca-file.ts) and name `host`. With `require` the link is encrypted but anything on
 * the path could answer as the server and take the admin password, which opens every database.
 */
export interface AdminConnection {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly database: string;
  readonly sslmode: "verify-full";
  readonly sslrootcert: string;
  /** doadmin is not a superuser on DigitalOcean; the provider then skips superuser-only reads. */
  readonly superuser: false;
}

/** Everything but the password, which stays a Pulumi secret on its own. */
export function adminConnection(parts: { host: string; port: number; username: string; caPath: string }): AdminConnection {
  if (!parts.caPath.startsWith("/") && !/^[A-Za-z]:\\/.test(parts.caPath)) throw new Error(`the CA path must be absolute: ${parts.caPath}`);
  return {
    host: parts.host,
    port: parts.port,
    username: parts.username,
    database: ADMIN_DATABASE,
    sslmode: "verify-full",
    sslrootcert: parts.caPath,
    superuser: false,
  };
}
