/**
 * A fault-injecting stand-in for the ingest's `/api/v1/profiles` (as documented in apps/ingest), for the client,
 * spool and delivery tests: real HTTP on 127.0.0.1, tokens that can be revoked, Idempotency-Key replay, and a queue of
 * faults (an HTTP status, or a connection dropped before or after the profile was stored).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault = { status: number; retryAfter?: string; body?: string } | "drop" | "store-then-drop";

export interface StoredProfile {
  id: string;
  service: string;
  labels: string[];
  from: string | null;
  until: string | null;
  key: string | undefined;
  contentType: string | undefined;
  body: Buffer;
}

export interface FakeIngest {
  url: string;
  stored: StoredProfile[];
  /** Every POST as received (after the token check), with its Idempotency-Key. */
  requests: { key: string | undefined; at: number }[];
  faults: Fault[];
  tokens: Set<string>;
  close(): Promise<void>;
}

export async function startFakeIngest(token = "ingest-token"): Promise<FakeIngest> {
  const stored: StoredProfile[] = [];
  const requests: FakeIngest["requests"] = [];
  const faults: Fault[] = [];
  const tokens = new Set([token]);
  const byKey = new Map<string, { id: string; url: string }>();
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? "/", "http://x");
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (u.pathname !== "/api/v1/profiles") return send(res, 404, { error: "not found" });
    if (!auth || !tokens.has(auth)) return send(res, 401, { error: "token revoked or unknown" });
    if (req.method === "GET") {
      const service = u.searchParams.get("service");
      return send(res, 200, {
        profiles: stored.filter((p) => !service || p.service === service).map((p) => ({ id: p.id })),
      });
    }
    const key = req.headers["idempotency-key"] as string | undefined;
    requests.push({ key, at: Date.now() });
    const fault = faults.shift();
    if (fault === "drop") return req.socket.destroy();
    if (fault !== undefined && fault !== "store-then-drop") {
      return send(
        res,
        fault.status,
        { error: fault.body ?? `injected ${fault.status}` },
        fault.retryAfter ? { "retry-after": fault.retryAfter } : {},
      );
    }
    const earlier = key !== undefined ? byKey.get(key) : undefined;
    let answer = earlier;
    if (!answer) {
      const id = `p${stored.length + 1}`;
      answer = { id, url: `http://web.test/p/${id}` };
      stored.push({
        id,
        service: u.searchParams.get("service") ?? "",
        labels: u.searchParams.getAll("label"),
        from: u.searchParams.get("from"),
        until: u.searchParams.get("until"),
        key,
        contentType: req.headers["content-type"],
        body: Buffer.concat(chunks),
      });
      if (key !== undefined) byKey.set(key, answer);
    }
    if (fault === "store-then-drop") return req.socket.destroy();
    send(res, earlier ? 200 : 201, answer);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    stored,
    requests,
    faults,
    tokens,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
