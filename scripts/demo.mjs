// `pnpm demo` after scripts/demo.sh checked root/eBPF and installed what is missing: starts ingest + web
// (scripts/start.sh: builds, embedded database), creates the first user, records the tutorial's slow server and its
// dict version under load with the eBPF collector, uploads both, creates the report comparing them through the web
// app's own API, prints the links, and keeps serving until Ctrl-C (DEMO_EXIT=1: exit after printing).
//
// Environment: DEMO_SECONDS (recording length, default 30), DEMO_EXIT, WEB_PORT (3000), INGEST_PORT (4040),
// PERFORATOR_WEB_URL, PERFORATOR_DATA_DIR (default <repo>/.data/demo, emptied first), DATABASE_URL.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const seconds = Number(process.env.DEMO_SECONDS ?? 30);
if (!(seconds >= 2 && seconds <= 3600))
  fail(`DEMO_SECONDS must be between 2 and 3600 (got "${process.env.DEMO_SECONDS}")`);
const defaultDir = path.join(root, ".data", "demo");
const dataDir = path.resolve(process.env.PERFORATOR_DATA_DIR ?? defaultDir);
const webPort = process.env.WEB_PORT ?? "3000";
const ingestPort = process.env.INGEST_PORT ?? "4040";
const webUrl = (process.env.PERFORATOR_WEB_URL ?? `http://127.0.0.1:${webPort}`).replace(/\/+$/, "");
const ingestUrl = `http://127.0.0.1:${ingestPort}`;
const workloads = path.join(root, "packages", "collector", "test", "workloads");

function fail(message) {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}
const say = (m) => process.stderr.write(`demo: ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Children to stop on exit (each the leader of its own process group). */
const children = new Set();
function stopAll() {
  for (const c of children) {
    try {
      process.kill(-c.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on("SIGINT", () => {
  say("stopping");
  stopAll();
  process.exit(130);
});
process.on("SIGTERM", () => {
  stopAll();
  process.exit(143);
});
process.on("exit", stopAll);

function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], ...opts });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

/** Runs to completion; resolves with stdout, rejects with the output when it fails. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = start(cmd, args, opts);
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      err += c;
      if (opts.echo) process.stderr.write(c);
    });
    child.on("exit", (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${path.basename(cmd)} ${args.join(" ")} exited ${code}:\n${err}${out}`)),
    );
  });
}

async function waitFor(what, url, timeoutMs, alive) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (alive && !alive()) throw new Error(`${what} exited before answering ${url}`);
    if (Date.now() > deadline)
      throw new Error(`${what} did not answer ${url} within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(300);
  }
}

// ---- 1. ingest + web (scripts/start.sh builds first) ----
if (dataDir === defaultDir && !process.env.DATABASE_URL) rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const env = {
  ...process.env,
  PERFORATOR_DATA_DIR: dataDir,
  WEB_PORT: webPort,
  INGEST_PORT: ingestPort,
  PERFORATOR_WEB_URL: webUrl,
};
const logFile = path.join(dataDir, "demo-servers.log");
const log = createWriteStream(logFile);
say(`building and starting ingest (:${ingestPort}) and web (${webUrl}); log: ${logFile}`);
const servers = start("bash", [path.join(root, "scripts", "start.sh")], { env });
servers.stdout.pipe(log);
servers.stderr.pipe(log);
const alive = () => servers.exitCode === null;
try {
  await waitFor("the ingest service", `${ingestUrl}/readyz`, 20 * 60_000, alive);
  await waitFor("the web app", `${webUrl}/api/trpc/health`, 5 * 60_000, alive);
} catch (err) {
  await sleep(200);
  const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n") : "";
  fail(`${err.message}\n--- last lines of ${logFile} ---\n${tail}`);
}
const token = readFileSync(path.join(dataDir, "ingest-token"), "utf8").trim();

// ---- 2. the first user ----
const email =
  dataDir === defaultDir ? "demo@perforator.local" : `demo-${randomBytes(3).toString("hex")}@perforator.local`;
const adminOut = await run(
  "pnpm",
  [
    "--silent",
    "--dir",
    "apps/web",
    "admin",
    "user",
    "create",
    email,
    "--team",
    "default",
    "--role",
    "owner",
    "--name",
    "Demo",
  ],
  { env },
);
const password = adminOut.trim().split("\n").pop();

// ---- 3. record both servers under load ----
const { requirePython } = await import(path.join(root, "packages", "collector", "dist", "python", "interpreters.js"));
let python;
try {
  python = requirePython("3.12").executable;
} catch (err) {
  fail(err.message);
}
const cli = path.join(root, "packages", "collector", "dist", "cli.js");

async function recordVariant(file, variant) {
  const port = await freePort();
  const server = start(python, [path.join(workloads, file), String(port)]);
  try {
    await waitFor(file, `http://127.0.0.1:${port}/search_user?user_id=1`, 60_000, () => server.exitCode === null);
    const load = run(python, [path.join(workloads, "load.py"), String(port), String(seconds + 2), "2"]);
    await sleep(1000);
    say(`recording ${file} (pid ${server.pid}) for ${seconds} s under load`);
    const out = await run(
      process.execPath,
      [
        cli,
        "record",
        "--pid",
        String(server.pid),
        "--duration",
        `${seconds}s`,
        "--upload",
        "--service",
        "demo-server",
      ].concat(["--label", `variant=${variant}`, "--url", ingestUrl, "--token", token]),
      { env, echo: false },
    );
    const link = out.trim().split("\n").pop();
    const id = link.split("/").pop();
    const requests = Number(/requests (\d+)/.exec(await load)?.[1] ?? 0);
    return { link, id, rps: requests / (seconds + 2) };
  } finally {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      // exited
    }
  }
}
const before = await recordVariant("server.py", "linear");
const after = await recordVariant("server_dict.py", "dict");

// ---- 4. the report, through the web app's own API ----
const signIn = await fetch(`${webUrl}/api/auth/sign-in/email`, {
  method: "POST",
  headers: { "content-type": "application/json", origin: webUrl },
  body: JSON.stringify({ email, password }),
});
if (!signIn.ok) fail(`signing in as ${email} failed: ${signIn.status} ${await signIn.text()}`);
const cookie = signIn.headers
  .getSetCookie()
  .map((c) => c.split(";")[0])
  .join("; ");
/** A tRPC call as the browser makes it (superjson envelope): queries are GETs, mutations POSTs. */
async function trpc(proc, input, kind = "mutation") {
  const body = JSON.stringify({ json: input });
  const res =
    kind === "query"
      ? await fetch(`${webUrl}/api/trpc/${proc}?input=${encodeURIComponent(body)}`, { headers: { cookie } })
      : await fetch(`${webUrl}/api/trpc/${proc}`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: webUrl, cookie },
          body,
        });
  const out = await res.json();
  if (!res.ok) fail(`${proc} failed: ${res.status} ${JSON.stringify(out.error?.json?.message ?? out)}`);
  return out.result.data.json;
}
const fmt = (x) => x.toFixed(1);
const created = await trpc("reports.create", {
  baseline: { kind: "profile", id: before.id },
  target: { kind: "profile", id: after.id },
  title: "Dict lookup instead of a linear search",
  notes: [
    "`search_user` scanned a list of 500,000 user ids on every request. `server_dict.py` builds a dict once and",
    "looks the id up in O(1).",
    "",
    `Both servers were recorded for ${seconds} s with \`perforator record --upload\` while \`load.py\` sent requests`,
    "from two threads (the seed tutorial, packages/collector/test/workloads).",
  ].join("\n"),
  figures: [
    { label: "requests/s (load.py, 2 threads)", before: fmt(before.rps), after: fmt(after.rps) },
    { label: "recording", before: `${seconds} s`, after: `${seconds} s` },
  ],
});
const report = await trpc("reports.get", { slug: created.slug }, "query");
const share = await trpc("reports.share", { slug: created.slug });
const row = (name) => report.moved.find((m) => m.name === name);
const pct = (x) => `${(x * 100).toFixed(1)}%`;

process.stdout.write(`
  Perforator demo is up (data: ${dataDir})

  Sign in        ${webUrl}/sign-in
                 email     ${email}
                 password  ${password}
  Before         ${before.link}   (server.py, linear search, ${fmt(before.rps)} requests/s)
  After          ${after.link}   (server_dict.py, dict lookup, ${fmt(after.rps)} requests/s)
  Report         ${webUrl}${created.path}   (team members)
  Public report  ${webUrl}${share.path}   (read-only, no sign-in)
`);
for (const name of ["UserIDSearchHandler.do_GET", "search_user"]) {
  const r = row(name);
  if (r) process.stdout.write(`  ${name.padEnd(27)} ${pct(r.beforeTotalShare)} → ${pct(r.afterTotalShare)} of CPU\n`);
}
process.stdout.write("\n");
// The story's point, checked: the linear search's share of CPU falls by more than half in the report.
const search = row("search_user");
if (!search || !(search.afterTotalShare < search.beforeTotalShare / 2)) {
  fail(
    `the report does not show search_user's share falling by more than half (${search ? `${pct(search.beforeTotalShare)} → ${pct(search.afterTotalShare)}` : "search_user not among the moved functions"}): ` +
      "the recordings may have missed the Python frames; see the profile links above",
  );
}
if (process.env.DEMO_EXIT === "1") {
  stopAll();
  process.exit(0);
}
process.stdout.write("  Serving until Ctrl-C.\n");
await new Promise((resolve) => servers.on("exit", resolve));
fail(`the servers stopped (exit ${servers.exitCode}); see ${logFile}`);
