import { type Frame, type Profile, ProfileBuilder } from "@perforator/profile";

const py = (name: string, line: number, file = "server.py"): Frame => ({
  name,
  file,
  line,
  kind: "python",
  module: "",
});

/**
 * Minute `i` of a threaded server (cpu ns + sample count): search_user on lines 24 and 25 and send_response in
 * MainThread, a worker thread (worker-0 / worker-1 by minute) in select down to a kernel frame; values vary by `i`.
 * `file` is the handler's file, so two sides of a diff can differ by path only.
 */
export function threadedMinute(i: number, file = "server.py"): Profile {
  const b = new ProfileBuilder([
    { type: "cpu", unit: "nanoseconds" },
    { type: "samples", unit: "count" },
  ]);
  const main = { thread_name: "MainThread", tid: "1" };
  const handler = [py("<module>", 66, file), py("serve_forever", 235, "socketserver.py"), py("do_GET", 34, file)];
  b.addFrames([...handler, py("search_user", 24, file)], [(80 + i) * 1e7, 80 + i], main);
  b.addFrames([...handler, py("search_user", 25, file)], [(20 + i) * 1e7, 20 + i], main);
  b.addFrames([...handler, py("send_response", 498, "http/server.py")], [10e7, 10], main);
  const kernel: Frame = { name: "do_select", file: "", line: 0, kind: "kernel", module: "[kernel]" };
  b.addFrames(
    [py("<module>", 66, file), py("select", 415, "selectors.py"), kernel],
    [(5 + (i % 3)) * 1e7, 5 + (i % 3)],
    {
      thread_name: `worker-${i % 2}`,
      tid: String(2 + (i % 2)),
    },
  );
  return b.build();
}
