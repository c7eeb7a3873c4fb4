/**
 * The report as a document: title, author and time, the Markdown notes, the author's figures and the table of
 * functions whose share moved most. No hooks and no browser APIs, so the same component renders on the report page
 * and, through `renderToStaticMarkup`, into the exported HTML file. Markdown is rendered by react-markdown, which
 * builds React elements (raw HTML in the notes is shown as text, never parsed) and drops `javascript:` URLs.
 */
import type { MovedFunction, ReportFigure } from "@perforator/db";
import Markdown from "react-markdown";
import remarkGfm from "remark-gfm";
import { formatDate } from "../lib/format";

export interface ReportDoc {
  title: string;
  service: string | null;
  author: string | null;
  editedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  notes: string;
  figures: ReportFigure[];
  moved: MovedFunction[];
  /** What each side was ("profile abc", `{service="api"} · 14:00 → 15:00`). */
  baseline: string;
  target: string;
}

export const pct = (x: number) => {
  const v = x * 100;
  return `${v >= 10 || v === 0 ? v.toFixed(1) : v.toFixed(v >= 1 ? 1 : 2)}%`;
};

const delta = (x: number) => `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(x * 100).toFixed(1)} pp`;

function baseName(file: string): string {
  return file.split("/").pop() ?? file;
}

export function MovedTable({ rows }: { rows: MovedFunction[] }) {
  if (rows.length === 0) return <p className="rpt-empty">No function changed its share.</p>;
  return (
    <table className="rpt-table" data-testid="moved-table">
      <thead>
        <tr>
          <th>Function</th>
          <th className="num">Before</th>
          <th className="num">After</th>
          <th className="num">Change</th>
          <th className="num">Self before → after</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const d = r.afterTotalShare - r.beforeTotalShare;
          return (
            <tr key={`${r.kind}:${r.name}:${r.file}:${r.module}`} data-fn={r.name}>
              <td className="rpt-fn" title={r.file ? `${r.name} (${r.file})` : r.name}>
                {r.name}
                {r.file ? <span className="rpt-file">{baseName(r.file)}</span> : null}
              </td>
              <td className="num" data-testid="before">
                {pct(r.beforeTotalShare)}
              </td>
              <td className="num" data-testid="after">
                {pct(r.afterTotalShare)}
              </td>
              <td className={`num ${d < -0.001 ? "rpt-down" : d > 0.001 ? "rpt-up" : "rpt-same"}`}>{delta(d)}</td>
              <td className="num rpt-same">
                {pct(r.beforeSelfShare)} → {pct(r.afterSelfShare)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function FiguresTable({ figures }: { figures: ReportFigure[] }) {
  return (
    <table className="rpt-table" data-testid="figures" style={{ maxWidth: "36rem" }}>
      <thead>
        <tr>
          <th />
          <th className="num">Before</th>
          <th className="num">After</th>
        </tr>
      </thead>
      <tbody>
        {figures.map((f, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: figures have no id; their order is the author's
          <tr key={i}>
            <td>{f.label}</td>
            <td className="num">{f.before}</td>
            <td className="num">{f.after}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ReportNotes({ notes }: { notes: string }) {
  return (
    <div className="rpt-notes" data-testid="report-notes">
      <Markdown remarkPlugins={[remarkGfm]} skipHtml>
        {notes}
      </Markdown>
    </div>
  );
}

/** Everything above the flamegraph. `children` go between the header and the notes (e.g. edit controls). */
export function ReportDocument({ doc, children }: { doc: ReportDoc; children?: React.ReactNode }) {
  // An editor is recorded only by an edit; the time check covers an edit whose author has since been deleted. (The
  // time alone missed an edit made within a second of creating the report.)
  const edited = doc.editedBy !== null || doc.updatedAt.getTime() - doc.createdAt.getTime() > 1000;
  return (
    <article className="rpt">
      <header className="rpt-head">
        <h1 data-testid="report-title">{doc.title}</h1>
        <div className="rpt-meta">
          {doc.service ? (
            <span>
              Service <b>{doc.service}</b>
            </span>
          ) : null}
          <span data-testid="report-author">
            by <b>{doc.author ?? "a former member"}</b> · {formatDate(doc.createdAt)}
          </span>
          {edited ? (
            <span data-testid="report-edited">
              edited {formatDate(doc.updatedAt)}
              {doc.editedBy ? ` by ${doc.editedBy}` : ""}
            </span>
          ) : null}
        </div>
        <div className="rpt-meta" style={{ marginTop: 4 }}>
          <span>
            Before: <b>{doc.baseline}</b>
          </span>
          <span>
            After: <b>{doc.target}</b>
          </span>
        </div>
      </header>
      {children}
      {doc.notes.trim() ? (
        <section className="rpt-section">
          <ReportNotes notes={doc.notes} />
        </section>
      ) : null}
      {doc.figures.length > 0 ? (
        <section className="rpt-section">
          <h2>Figures</h2>
          <FiguresTable figures={doc.figures} />
        </section>
      ) : null}
      <section className="rpt-section">
        <h2>Functions whose share moved most</h2>
        <MovedTable rows={doc.moved} />
      </section>
    </article>
  );
}
