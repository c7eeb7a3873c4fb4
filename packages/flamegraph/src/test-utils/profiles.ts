import { type Frame, type Profile, ProfileBuilder } from "@perforator/profile";

export const XSS = "</script><img src=x onerror=alert(1)>";

const py = (name: string, file: string, line: number): Frame => ({ name, file, line, kind: "python", module: "" });
/** A Python frame of server.py (or `file`) at `line`. */
export const pyAt = (name: string, line: number, file = "server.py"): Frame => py(name, file, line);
const native = (name: string, module: string): Frame => ({ name, file: "", line: 0, kind: "native", module });

const MAIN = [
  py("<module>", "server.py", 66),
  py("run", "server.py", 59),
  py("serve_forever", "/usr/lib/python3.12/socketserver.py", 235),
  py("_handle_request_noblock", "/usr/lib/python3.12/socketserver.py", 318),
  py("process_request", "/usr/lib/python3.12/socketserver.py", 349),
];
const HANDLER = py("UserIDSearchHandler.do_GET", "server.py", 34);

/**
 * The tutorial's server: `search` samples in search_user, `send` in send_response, `idle` in select.
 * Totals are the sum, so shares are easy to check by hand.
 */
export function serverProfile(opts: { search: number; send: number; idle: number; extra?: number }): Profile {
  const b = new ProfileBuilder([{ type: "cpu", unit: "count" }], {
    durationNanos: 60e9,
    period: 1e9 / 99,
    periodType: { type: "cpu", unit: "nanoseconds" },
  });
  const labels = { pid: "4242", tid: "4242", thread_name: "MainThread" };
  b.addFrames([...MAIN, HANDLER, py("search_user", "server.py", 22)], [opts.search], labels);
  b.addFrames([...MAIN, HANDLER, py("send_response", "/usr/lib/python3.12/http/server.py", 498)], [opts.send], labels);
  b.addFrames(
    [...MAIN.slice(0, 3), py("select", "/usr/lib/python3.12/selectors.py", 415), native("do_select", "[kernel]")],
    [opts.idle],
    { ...labels, tid: "4243", thread_name: "worker" },
  );
  if (opts.extra) {
    b.addFrames([...MAIN, HANDLER, py("increment_request_count", "server.py", 17)], [opts.extra], labels);
  }
  return b.build();
}

/** A profile whose function and file names are HTML/script injection attempts. */
export function xssProfile(): Profile {
  const b = new ProfileBuilder([{ type: "cpu", unit: "count" }], { durationNanos: 1e9 });
  b.addFrames([py("main", "app.py", 1), py(XSS, XSS, 7)], [60]);
  b.addFrames([py("main", "app.py", 1), native(`<b onmouseover=alert(2)>x</b>`, XSS)], [40]);
  return b.build();
}

/**
 * `p` as if recorded elsewhere: the script renamed and moved to `script` (server.py → server_dict.py, as the
 * tutorial's second server), the standard library under `stdlib` instead of /usr/lib/python3.12.
 */
export function deployedElsewhere(p: Profile, script: string, stdlib: string): Profile {
  const move = (file: string) =>
    file === "server.py" ? script : file.startsWith("/usr/lib/python3.12/") ? stdlib + file.slice(19) : file;
  return { ...p, frames: p.frames.map((f) => ({ ...f, file: move(f.file) })) };
}
