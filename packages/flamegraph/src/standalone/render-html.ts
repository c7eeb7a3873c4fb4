/**
 * Runs in Node (the CLI), not in the page: renders ONE self-contained HTML file (inline CSS, inline script, embedded data; no
 * network requests) for `perforator record -o flame.html`, `--serve`, `view` and `diff`.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type FrameMatch, type Profile, serializeProfile } from "@perforator/profile";

export interface StandaloneOptions {
  title: string;
  profile: Profile;
  /** With a baseline the page shows a diff (widths from `profile`). */
  baseline?: Profile;
  /** In a diff, how frames of the two profiles are matched (default "name"; see alignFrames in @perforator/profile). */
  match?: FrameMatch;
}

let cachedScript: string | null = null;

function bundledScript(): string {
  if (cachedScript !== null) return cachedScript;
  // dist/standalone/render-html.js: the bundle is dist/standalone.js; src/standalone/ (tests) looks in ../../dist.
  const candidates = [
    new URL("../standalone.js", import.meta.url),
    new URL("../../dist/standalone.js", import.meta.url),
  ];
  let js: string | null = null;
  for (const url of candidates) {
    try {
      js = readFileSync(url, "utf8");
      break;
    } catch {
      // try the next location
    }
  }
  if (js === null) {
    throw new Error(
      `The flamegraph page script is missing (looked for ${candidates.map((u) => fileURLToPath(u)).join(", ")}). ` +
        "Build it with: pnpm --filter @perforator/flamegraph build",
    );
  }
  // The script is inlined in <script>: "</script" inside a string literal would end it early.
  cachedScript = js.replace(/<\/(script)/gi, "<\\/$1");
  return cachedScript;
}

/** JSON that is safe inside <script type="application/json">: no "<", ">" or "&" survive literally. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

const PAGE_CSS = `
html,body{margin:0;background:#fff;color:#1b1b1f}
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.pst-header{padding:12px 20px 8px;border-bottom:1px solid #e4e6ea;background:#fafbfc}
.pst-header h1{font-size:17px;margin:0 0 4px;font-weight:600;word-break:break-all}
.pst-meta{display:flex;flex-wrap:wrap;gap:16px;color:#5f6368}
.pst-meta b{color:#1b1b1f;font-weight:600}
.pst-main{padding:0 20px 20px}
.pst-error{margin:20px;color:#b42318}
noscript p{margin:20px}
`;

export function renderStandaloneHtml(opts: StandaloneOptions): string {
  // Profiles go in the collector's compact JSON (shared label sets), parsed and validated by the page.
  const data = jsonForScript({
    title: opts.title,
    profile: JSON.parse(serializeProfile(opts.profile)),
    baseline: opts.baseline ? JSON.parse(serializeProfile(opts.baseline)) : undefined,
    match: opts.baseline ? opts.match : undefined,
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(opts.title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<noscript><p>This flamegraph needs JavaScript enabled.</p></noscript>
<div id="root"></div>
<script type="application/json" id="perforator-data">${data}</script>
<script>${bundledScript()}</script>
</body>
</html>
`;
}
