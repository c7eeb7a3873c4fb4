/**
 * The report document's stylesheet: one string used by the report page and by the exported HTML file (which has no
 * Tailwind), so both look the same. Class names are prefixed `rpt-`.
 */
export const REPORT_CSS = `
.rpt{color:#1b1b1f;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.rpt-head h1{font-size:24px;font-weight:650;margin:0 0 4px}
.rpt-meta{color:#5f6368;font-size:13px;display:flex;flex-wrap:wrap;gap:4px 14px}
.rpt-meta b{color:#1b1b1f;font-weight:600}
.rpt-section{margin-top:20px}
.rpt-section h2{font-size:13px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:#5f6368;margin:0 0 8px}
.rpt-notes{max-width:52rem}
.rpt-notes h1,.rpt-notes h2,.rpt-notes h3{font-weight:600;margin:1em 0 .4em;text-transform:none;letter-spacing:0;color:#1b1b1f}
.rpt-notes h1{font-size:20px}.rpt-notes h2{font-size:17px}.rpt-notes h3{font-size:15px}
.rpt-notes p,.rpt-notes ul,.rpt-notes ol{margin:.5em 0}
.rpt-notes ul{list-style:disc;padding-left:1.5em}.rpt-notes ol{list-style:decimal;padding-left:1.5em}
.rpt-notes code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f1f3f5;border-radius:3px;padding:1px 4px}
.rpt-notes pre{background:#0f172a;color:#e2e8f0;border-radius:6px;padding:10px 12px;overflow-x:auto}
.rpt-notes pre code{background:none;color:inherit;padding:0}
.rpt-notes a{color:#4f46e5;text-decoration:underline}
.rpt-notes blockquote{border-left:3px solid #cbd5e1;margin:.5em 0;padding-left:10px;color:#475569}
.rpt-notes table{border-collapse:collapse}.rpt-notes td,.rpt-notes th{border:1px solid #e2e8f0;padding:3px 8px}
.rpt-table{border-collapse:collapse;width:100%;max-width:60rem;font-size:13px}
.rpt-table th{font-weight:500;color:#5f6368;text-align:left;font-size:12px;padding:4px 10px;border-bottom:1px solid #e4e6ea}
.rpt-table td{padding:5px 10px;border-bottom:1px solid #f1f3f5}
.rpt-table .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.rpt-fn{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.rpt-file{color:#94a3b8;margin-left:8px}
.rpt-down{color:#2563eb;font-weight:600}.rpt-up{color:#dc2626;font-weight:600}.rpt-same{color:#64748b}
.rpt-empty{color:#64748b;font-style:italic}
`;

/** Where an exported report file's document goes: the server's page has it, the report page fills it in. */
export const REPORT_SLOT = "<!--perforator-report-document-->";
