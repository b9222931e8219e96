import { createSocket, type Socket as UdpSocket } from "node:dgram";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as dnsPacket from "dns-packet";
import type { KeyPair } from "./pki";

export interface Running {
  port: number;
  close(): Promise<void>;
}

function closeHttp(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

export interface SiteBehaviour {
  /** Status for GET /up, or "hang" to never answer. */
  up: number | "hang";
  /** Strict-Transport-Security header value; none when undefined. */
  hsts?: string;
  /** Status for GET /health. */
  health?: number;
}

/** The Rails app behind Cloudflare as verify sees it: /up, /health and HSTS on every answer. */
export async function startSite(pair: KeyPair, behaviour: SiteBehaviour): Promise<Running> {
  const server = https.createServer({ cert: pair.cert, key: pair.key }, (req, res) => {
    if (req.url === "/up" && behaviour.up === "hang") return; // never answers
    const status = req.url === "/up" ? (behaviour.up as number) : req.url === "/health" ? (behaviour.health ?? 404) : 404;
    if (behaviour.hsts) res.setHeader("strict-transport-security", behaviour.hsts);
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(String(status));
  });
  const port = await listen(server);
  return { port, close: () => closeHttp(server) };
}

/** Plain-HTTP listener answering every request with `status` and `location`. */
export async function startRedirector(status: number, location?: string): Promise<Running> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, location ? { location } : {});
    res.end();
  });
  const port = await listen(server);
  return { port, close: () => closeHttp(server) };
}

export type DnsAnswer =
  | { type: "A"; data: string }
  | { type: "AAAA"; data: string }
  | { type: "TXT"; data: string }
  | { type: "CNAME"; data: string }
  | { type: "MX"; data: { preference: number; exchange: string } };

/** name → answers; a name absent from the table is NXDOMAIN, a missing type is NOERROR/no data. */
export type DnsTable = Record<string, DnsAnswer[]>;

// One TXT character-string holds at most 255 bytes; longer values (DKIM keys) are split.
const txtChunks = (value: string) => value.match(/.{1,255}/gs) ?? [""];

/** An authoritative-looking DNS server on a loopback UDP port, built with dns-packet. */
export async function startDns(table: DnsTable): Promise<Running & { queries: string[] }> {
  const socket: UdpSocket = createSocket("udp4");
  const queries: string[] = [];
  socket.on("message", (message, peer) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase().replace(/\.$/, "");
    queries.push(`${question.type} ${name}`);
    const entries = table[name];
    const answers: dnsPacket.Answer[] = (entries ?? [])
      .filter((e) => e.type === question.type)
      .map((e) => {
        const base = { name: question.name, ttl: 60, class: "IN" as const };
        if (e.type === "TXT") return { ...base, type: "TXT", data: txtChunks(e.data) };
        if (e.type === "MX") return { ...base, type: "MX", data: e.data };
        return { ...base, type: e.type, data: e.data };
      });
    const reply = dnsPacket.encode({
      id: query.id,
      type: "response",
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (entries ? 0 : 3), // rcode 3 = NXDOMAIN
      questions: query.questions,
      answers,
    });
    socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return {
    port: socket.address().port,
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

export interface EnvelopeItem {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** A fake Sentry ingest: records each envelope's items (newline-separated JSON). */
export async function startSentry(): Promise<Running & { dsn: string; items: EnvelopeItem[] }> {
  const items: EnvelopeItem[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.url?.startsWith("/api/1/envelope/")) {
        const [, ...lines] = Buffer.concat(chunks).toString("utf8").split("\n").filter(Boolean);
        for (let i = 0; i + 1 < lines.length; i += 2) {
          items.push({ header: JSON.parse(lines[i] ?? "{}"), payload: JSON.parse(lines[i + 1] ?? "{}") });
        }
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  const port = await listen(server);
  return { port, items, dsn: `http://publickey@127.0.0.1:${port}/1`, close: () => closeHttp(server) };
}
