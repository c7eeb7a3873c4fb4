"use client";

import type { ReportFigure } from "@perforator/db";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { REPORT_CSS, REPORT_SLOT } from "../lib/report-css";
import { useTRPC } from "../trpc/react";
import { FlameView } from "./flame-view";
import { type ReportDoc, ReportDocument } from "./report-document";

const btn =
  "inline-flex items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 disabled:opacity-50";
const field = "w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm shadow-sm";
/** A figure's inputs, in row order; each field's name is its placeholder and ends its aria-label. */
const FIGURE_FIELDS = ["label", "before", "after"] as const satisfies readonly (keyof ReportFigure)[];

function Editor({ slug, doc, onDone }: { slug: string; doc: ReportDoc; onDone: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [title, setTitle] = useState(doc.title);
  const [notes, setNotes] = useState(doc.notes);
  const [figures, setFigures] = useState<ReportFigure[]>(doc.figures);
  const update = useMutation(trpc.reports.update.mutationOptions());
  const setFigure = (i: number, patch: Partial<ReportFigure>) =>
    setFigures((fs) => fs.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  return (
    <form
      data-testid="report-editor"
      className="mt-4 space-y-3 rounded-lg border border-slate-200 bg-slate-50 p-4"
      onSubmit={async (e) => {
        e.preventDefault();
        await update.mutateAsync({ slug, title, notes, figures: figures.filter((f) => f.label.trim()) });
        onDone();
        router.refresh();
      }}
    >
      <label className="block text-sm font-medium">
        Title
        <input
          className={`${field} mt-1`}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          aria-label="Title"
        />
      </label>
      <label className="block text-sm font-medium">
        Notes (Markdown)
        <textarea
          className={`${field} mt-1 h-48 font-mono`}
          value={notes}
          onChange={(e) => setNotes(e.target.value)}
          aria-label="Notes"
        />
      </label>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">Figures (e.g. requests/s before and after)</legend>
        {figures.map((f, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no id; the author edits them in place
          <div key={i} className="flex gap-2" data-testid="figure-row">
            {FIGURE_FIELDS.map((k) => (
              <input
                key={k}
                className={field}
                placeholder={k}
                aria-label={`Figure ${k}`}
                value={f[k]}
                onChange={(e) => setFigure(i, { [k]: e.target.value })}
              />
            ))}
            <button
              type="button"
              className={btn}
              aria-label="Remove figure"
              onClick={() => setFigures((fs) => fs.filter((_, j) => j !== i))}
            >
              ×
            </button>
          </div>
        ))}
        <button
          type="button"
          className={btn}
          onClick={() => setFigures((fs) => [...fs, { label: "", before: "", after: "" }])}
        >
          + Add figure
        </button>
      </fieldset>
      {update.error ? (
        <p role="alert" className="text-sm text-red-700">
          {update.error.message}
        </p>
      ) : null}
      <div className="flex gap-2">
        <button
          type="submit"
          className={`${btn} border-indigo-600 bg-indigo-600 text-white hover:bg-indigo-500`}
          disabled={update.isPending}
        >
          Save
        </button>
        <button type="button" className={btn} onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * Export HTML: the server's self-contained flamegraph page with both profiles, plus this page's rendered document
 * (without edit controls) in its slot, saved as one file.
 */
function ExportButton({ src, title }: { src: string; title: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <button
        type="button"
        className={btn}
        data-testid="report-export"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            const res = await fetch(src, { credentials: "same-origin" });
            if (!res.ok)
              throw new Error(
                ((await res.json().catch(() => ({}))) as { error?: string }).error ??
                  `the server answered ${res.status}`,
              );
            const shell = await res.text();
            const article = document.querySelector("article.rpt")?.cloneNode(true) as HTMLElement | undefined;
            if (!article || !shell.includes(REPORT_SLOT)) throw new Error("the page is not ready to export yet");
            article.querySelector('[data-testid="report-editor"]')?.remove();
            const html = shell.replace(REPORT_SLOT, () => article.outerHTML);
            const a = document.createElement("a");
            a.href = URL.createObjectURL(new Blob([html], { type: "text/html" }));
            a.download = `${title.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80) || "report"}.html`;
            a.click();
            setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
          } catch (err) {
            setError(`export failed: ${(err as Error).message}`);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? "Exporting…" : "Export HTML"}
      </button>
      {error ? (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      ) : null}
    </>
  );
}

/** Public links of the report: create (copied and shown), list, revoke. */
function PublicLinks({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const links = useQuery(trpc.reports.links.queryOptions({ slug }));
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.reports.links.queryKey({ slug }) });
  const share = useMutation(trpc.reports.share.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.reports.revokeLink.mutationOptions({ onSuccess: refresh }));
  return (
    <div className="space-y-1">
      <button
        type="button"
        className={btn}
        data-testid="report-public-link"
        disabled={share.isPending}
        onClick={() =>
          share.mutate(
            { slug },
            {
              // Copied when the browser allows it; the link is listed below either way.
              onSuccess: (r) =>
                void navigator.clipboard?.writeText(`${window.location.origin}${r.path}`).catch(() => {}),
            },
          )
        }
      >
        Public link
      </button>
      {share.error ? (
        <p role="alert" className="text-xs text-red-700">
          {share.error.message}
        </p>
      ) : null}
      {links.data?.map((l) => (
        <div key={l.id} className="flex items-center gap-2 text-xs" data-testid="report-link">
          <a
            className="font-mono text-indigo-700 underline"
            href={l.path}
            data-url={`${typeof window === "undefined" ? "" : window.location.origin}${l.path}`}
          >
            {l.path}
          </a>
          <button
            type="button"
            className="text-red-700 hover:underline"
            data-testid="revoke-report-link"
            onClick={() => revoke.mutate({ id: l.id })}
          >
            revoke
          </button>
        </div>
      ))}
    </div>
  );
}

/**
 * The report page body: the document, the embedded diff flamegraph (searchable, zoomable; its view state in the URL),
 * export, and for team members who may write, editing and public links.
 */
export function ReportView({
  id,
  slug,
  doc,
  canEdit,
}: {
  /** What the bytes endpoint is asked for: the slug, or the public link id. */
  id: string;
  /** Set for team members (edit and links use it). */
  slug: string | null;
  doc: ReportDoc;
  canEdit: boolean;
}) {
  const [editing, setEditing] = useState(false);
  const src = (side: string) => `/api/report?id=${encodeURIComponent(id)}&side=${side}`;
  return (
    <div className="space-y-6">
      {/* biome-ignore lint/security/noDangerouslySetInnerHtml: our own constant stylesheet, no user input */}
      <style dangerouslySetInnerHTML={{ __html: REPORT_CSS }} />
      <div className="flex flex-wrap items-start justify-between gap-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <div className="min-w-0 flex-1">
          <ReportDocument doc={doc}>
            {editing && slug ? <Editor slug={slug} doc={doc} onDone={() => setEditing(false)} /> : null}
          </ReportDocument>
        </div>
        <div className="flex flex-col items-end gap-2">
          <ExportButton src={src("html")} title={doc.title} />
          {canEdit && slug && !editing ? (
            <button type="button" className={btn} data-testid="report-edit" onClick={() => setEditing(true)}>
              Edit
            </button>
          ) : null}
          {canEdit && slug ? <PublicLinks slug={slug} /> : null}
        </div>
      </div>
      <section>
        <h2 className="mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500">Diff flamegraph</h2>
        <FlameView url={src("target")} baselineUrl={src("baseline")} height={520} />
      </section>
    </div>
  );
}
