/**
 * The script of the self-contained HTML page: runs in the browser, bundled to dist/standalone.js (render-html.ts, in
 * Node, inlines it into the page). Reads the embedded
 * JSON (<script type="application/json" id="perforator-data">) and mounts the viewer.
 */
import { type FrameMatch, type Profile, parseFrameMatch, parseProfile, totalValue } from "@perforator/profile";
import { createRoot } from "react-dom/client";
import { FlameGraphViewer } from "../react/FlameGraphViewer.js";
import { formatValue } from "../react/format.js";

export interface StandaloneData {
  title: string;
  profile: Profile;
  baseline?: Profile;
  /** How a diff matches frames (default "name"). */
  match?: FrameMatch;
}

function formatDuration(ns: number): string {
  if (!ns) return "unknown";
  const s = ns / 1e9;
  return s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(s < 10 ? 2 : 1)} s`;
}

function Header({ data }: { data: StandaloneData }) {
  const p = data.profile;
  const st = p.sampleTypes[p.defaultSampleType];
  const unit = st?.unit ?? "count";
  const start = p.timeNanos ? new Date(p.timeNanos / 1e6).toISOString().replace("T", " ").slice(0, 19) : "";
  return (
    <header className="pst-header">
      <h1>{data.title}</h1>
      <div className="pst-meta">
        {data.baseline ? (
          <span>
            Baseline: <b>{formatValue(totalValue(data.baseline), unit)}</b> in{" "}
            {formatDuration(data.baseline.durationNanos)}
            {" → "}
          </span>
        ) : null}
        <span>
          Total: <b data-testid="total">{formatValue(totalValue(p), unit)}</b>
        </span>
        <span>
          Duration: <b>{formatDuration(p.durationNanos)}</b>
        </span>
        {st ? (
          <span>
            Type: <b>{st.type}</b>
          </span>
        ) : null}
        {start ? <span>Started: {start} UTC</span> : null}
      </div>
    </header>
  );
}

function showError(root: HTMLElement, message: string): void {
  const p = document.createElement("p");
  p.className = "pst-error";
  p.textContent = message;
  root.replaceChildren(p);
}

function main(): void {
  const root = document.getElementById("root");
  if (!root) return;
  const el = document.getElementById("perforator-data");
  let data: StandaloneData;
  try {
    const raw = JSON.parse(el?.textContent ?? "") as {
      title?: unknown;
      profile?: unknown;
      baseline?: unknown;
      match?: unknown;
    };
    if (!raw || raw.profile === undefined) throw new Error("no profile in the embedded data");
    data = {
      title: typeof raw.title === "string" ? raw.title : "Flamegraph",
      profile: parseProfile(raw.profile),
      baseline: raw.baseline === undefined || raw.baseline === null ? undefined : parseProfile(raw.baseline),
      match: typeof raw.match === "string" ? parseFrameMatch(raw.match) : undefined,
    };
  } catch (e) {
    showError(
      root,
      `This flamegraph page could not read its embedded profile (${(e as Error).message}). ` +
        "The file may be truncated: record or export it again.",
    );
    return;
  }
  document.title = data.title;
  createRoot(root).render(
    <>
      <Header data={data} />
      <main className="pst-main">
        <FlameGraphViewer
          profile={data.profile}
          baseline={data.baseline}
          diffMatch={data.match}
          syncUrl
          testHooks
          height={Math.max(320, window.innerHeight - 230)}
        />
      </main>
    </>,
  );
}

main();
