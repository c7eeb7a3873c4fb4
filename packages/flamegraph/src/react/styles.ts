/** The viewer's stylesheet (light theme, system fonts only). Class names are prefixed "pfg-". */
export const VIEWER_CSS = `
.pfg{--pfg-fg:#1b1b1f;--pfg-muted:#5f6368;--pfg-border:#d9dce1;--pfg-bg:#fff;--pfg-soft:#f4f5f7;--pfg-accent:#2563eb;
font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--pfg-fg);background:var(--pfg-bg)}
.pfg *{box-sizing:border-box}
.pfg :focus-visible{outline:2px solid var(--pfg-accent);outline-offset:2px}
.pfg-toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;padding:8px 0}
.pfg-search{display:flex;align-items:center;gap:4px;border:1px solid var(--pfg-border);border-radius:6px;padding:2px 4px;background:#fff}
.pfg-search input{border:0;outline:0;font:inherit;min-width:220px;padding:3px 4px;background:transparent}
.pfg-search:focus-within{border-color:var(--pfg-accent);box-shadow:0 0 0 2px rgba(37,99,235,.2)}
.pfg-btn{font:inherit;border:1px solid var(--pfg-border);background:#fff;border-radius:6px;padding:3px 9px;cursor:pointer;color:inherit}
.pfg-btn:hover{background:var(--pfg-soft)}
.pfg-btn[aria-pressed="true"],.pfg-btn[aria-selected="true"]{background:#e8effd;border-color:#9ab5f5;color:#173f9c}
.pfg-btn:disabled{opacity:.5;cursor:default}
.pfg-toggle{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:2px 6px}
.pfg-tabs{display:flex;gap:2px}
.pfg-matched{color:#8e1a8e;font-weight:600}
.pfg-error{color:#b42318}
.pfg-muted{color:var(--pfg-muted)}
.pfg-select{font:inherit;border:1px solid var(--pfg-border);border-radius:6px;padding:3px 6px;background:#fff}
.pfg-crumbs{display:flex;flex-wrap:wrap;gap:2px;align-items:center;min-height:26px;padding:2px 0;font-size:12px}
.pfg-crumbs button{font:inherit;border:0;background:transparent;color:var(--pfg-accent);cursor:pointer;padding:1px 3px;border-radius:4px;max-width:320px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.pfg-crumbs button[aria-current="true"]{color:var(--pfg-fg);font-weight:600}
.pfg-legend{display:flex;flex-wrap:wrap;gap:12px;align-items:center;font-size:12px;color:var(--pfg-muted);padding:4px 0}
.pfg-swatch{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;margin-right:4px;border:1px solid rgba(0,0,0,.15)}
.pfg-gradient{display:inline-block;width:160px;height:12px;border-radius:2px;vertical-align:-2px;margin:0 4px;background:linear-gradient(90deg,hsl(215,95%,50%),hsl(215,35%,78%),hsl(0,0%,78%),hsl(0,35%,78%),hsl(0,95%,50%))}
.pfg-hatch{background:repeating-linear-gradient(135deg,#ddd 0 3px,#888 3px 4px)}
.pfg-ghost{background:repeating-linear-gradient(45deg,hsl(215,55%,62%) 0 3px,#fff 3px 5px);border:1px dashed #1e3a8a}
.pfg-sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.pfg-tooltip .pfg-tt-status{font-weight:600;margin-top:2px}
.pfg-tooltip .pfg-new{color:#b42318}.pfg-tooltip .pfg-removed{color:#1e3a8a}
.pfg-scroll{position:relative;overflow:auto;border:1px solid var(--pfg-border);border-radius:6px}
.pfg-scroll canvas{position:sticky;top:0;left:0;display:block;cursor:pointer}
.pfg-tooltip{position:fixed;z-index:10;pointer-events:none;max-width:520px;background:#fff;border:1px solid var(--pfg-border);border-radius:6px;
box-shadow:0 4px 16px rgba(0,0,0,.12);padding:8px 10px;font-size:12px;white-space:normal;word-break:break-all}
.pfg-tooltip .pfg-tt-name{font:600 12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin-bottom:2px}
.pfg-tooltip table{border-collapse:collapse;margin-top:4px}
.pfg-tooltip td{padding:1px 8px 1px 0}
.pfg-table-wrap{overflow:auto;border:1px solid var(--pfg-border);border-radius:6px}
.pfg-table{width:100%;border-collapse:collapse;font-size:12px;table-layout:fixed}
.pfg-table th{position:sticky;top:0;background:var(--pfg-soft);text-align:left;font-weight:600;border-bottom:1px solid var(--pfg-border);padding:0}
.pfg-table th button{font:inherit;border:0;background:transparent;width:100%;text-align:inherit;padding:5px 8px;cursor:pointer}
.pfg-table td{padding:0 8px;height:24px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;border-bottom:1px solid #eef0f2}
.pfg-table td.pfg-num,.pfg-table th.pfg-num{text-align:right;font-variant-numeric:tabular-nums}
.pfg-table tr:hover td{background:#f8fafc}
.pfg-link{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;border:0;background:transparent;color:var(--pfg-fg);cursor:pointer;padding:0;text-align:left;max-width:100%;overflow:hidden;text-overflow:ellipsis}
.pfg-link:hover{text-decoration:underline}
.pfg-grew{color:#b42318}.pfg-shrank{color:#1d4ed8}
.pfg-sandwich h3{font-size:13px;margin:10px 0 4px}
`;
