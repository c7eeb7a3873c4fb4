"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { Source } from "../lib/source";
import { useTRPC } from "../trpc/react";

const btn =
  "inline-flex items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 disabled:opacity-50";

/**
 * "Create report" on a diff view: asks for a title, then freezes both sides on the server (the merged profiles are
 * stored with the report) and opens the new report, where notes and figures are added.
 */
export function CreateReportButton({ baseline, target }: { baseline: Source | null; target: Source | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState("");
  const create = useMutation(trpc.reports.create.mutationOptions());
  if (!baseline || !target) return null;
  if (!open) {
    return (
      <button type="button" className={btn} data-testid="create-report" onClick={() => setOpen(true)}>
        Create report
      </button>
    );
  }
  return (
    <form
      className="flex items-center gap-2"
      data-testid="create-report-form"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await create.mutateAsync({ baseline, target, title });
        router.push(r.path);
      }}
    >
      <input
        aria-label="Report title"
        placeholder="What changed? e.g. Dict lookup instead of a linear search"
        className="w-80 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm shadow-sm"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
      />
      <button
        type="submit"
        className={`${btn} border-indigo-600 bg-indigo-600 text-white hover:bg-indigo-500`}
        disabled={create.isPending || !title.trim()}
      >
        {create.isPending ? "Freezing both sides…" : "Create"}
      </button>
      <button type="button" className={btn} onClick={() => setOpen(false)}>
        Cancel
      </button>
      {create.error ? (
        <span role="alert" className="text-sm text-red-700">
          {create.error.message}
        </span>
      ) : null}
    </form>
  );
}
