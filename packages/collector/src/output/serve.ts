/** Serving a finished profile over HTTP: the flamegraph page at `/`, the pprof at `/profile.pb.gz`. */
import { createServer, type Server } from "node:http";
import { CliError, EXIT } from "../errors.js";

export interface ListenAddress {
  /** Host to bind; "" means all interfaces. */
  host: string;
  port: number;
}

/** The URL a user pastes into a browser for a listening address. */
export function displayUrl(host: string, port: number): string {
  if (host === "" || host === "0.0.0.0" || host === "::") return `http://localhost:${port}/`;
  return host.includes(":") ? `http://[${host}]:${port}/` : `http://${host}:${port}/`;
}

export interface ServedProfile {
  html: string;
  /** gzip-compressed pprof of the same profile, served at /profile.pb.gz; omitted when not available. */
  pprof?: Uint8Array;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/**
 * Serves the flamegraph page at `/` and the raw profile at `/profile.pb.gz` until closed.
 * Rejects with an actionable error when the address cannot be bound.
 */
export function serveProfile(addr: ListenAddress, content: ServedProfile): Promise<RunningServer> {
  const html = Buffer.from(content.html, "utf8");
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/" || path === "/index.html") {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-length": html.length,
        "cache-control": "no-store",
      });
      res.end(req.method === "HEAD" ? undefined : html);
    } else if (path === "/profile.pb.gz" && content.pprof) {
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-disposition": 'attachment; filename="profile.pb.gz"',
        "content-length": content.pprof.length,
      });
      res.end(req.method === "HEAD" ? undefined : content.pprof);
    } else {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found: try / or /profile.pb.gz\n");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const where = `${addr.host || "*"}:${addr.port}`;
      const why =
        err.code === "EADDRINUSE"
          ? "the port is already in use; pick another with --serve :PORT"
          : err.code === "EACCES"
            ? "permission denied; use a port above 1023"
            : err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND"
              ? "no such local address; use :PORT to listen on all interfaces"
              : err.message;
      reject(new CliError(`cannot serve on ${where}: ${why}`, EXIT.failure));
    });
    server.listen({ port: addr.port, host: addr.host || undefined }, () => {
      const a = server.address();
      const port = typeof a === "object" && a ? a.port : addr.port;
      resolve({
        url: displayUrl(addr.host, port),
        port,
        server,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
