"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import type { Source } from "../lib/source";
import { useTRPC } from "../trpc/react";

/** The viewer's own keys in the page URL: what a public link carries of the view. */
const VIEW_KEYS = ["tab", "mode", "q", "re", "case", "zoom", "group", "line", "fn", "sort", "match"];

function viewQuery(): string {
  const here = new URLSearchParams(window.location.search);
  const out = new URLSearchParams();
  for (const [k, v] of here) if (VIEW_KEYS.includes(k)) out.append(k, v);
  return out.toString();
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // no clipboard permission (plain http on another host): the link is shown to copy by hand
  }
}

const btn =
  "inline-flex items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 disabled:opacity-50";

/**
 * "Copy link": the page URL, which holds the whole view (selection, range, zoom, search, tab...).
 * "Public link": a read-only link that works without signing in, revocable from here or Settings.
 */
export function ShareBar({
  target,
  baseline,
  canShare,
}: {
  target: Source | null;
  baseline?: Source | null;
  canShare: boolean;
}) {
  const trpc = useTRPC();
  const [copied, setCopied] = useState<string | null>(null);
  const [publicUrl, setPublicUrl] = useState<{ id: string; url: string } | null>(null);
  const create = useMutation(trpc.share.create.mutationOptions());
  const revoke = useMutation(trpc.share.revoke.mutationOptions());
  return (
    <div className="flex flex-wrap items-center gap-2">
      <button
        type="button"
        className={btn}
        data-testid="copy-link"
        onClick={async () => {
          const url = window.location.href;
          await copy(url);
          setCopied(url);
        }}
      >
        Copy link
      </button>
      {canShare && target ? (
        <button
          type="button"
          className={btn}
          data-testid="public-link"
          disabled={create.isPending}
          onClick={async () => {
            const r = await create.mutateAsync({ target, ...(baseline ? { baseline } : {}), view: viewQuery() });
            const url = `${window.location.origin}${r.path}`;
            await copy(url);
            setPublicUrl({ id: r.id, url });
          }}
        >
          Public link
        </button>
      ) : null}
      {copied ? (
        <span className="text-xs text-emerald-700" data-testid="copied-url" data-url={copied}>
          Link copied
        </span>
      ) : null}
      {publicUrl ? (
        <span className="flex items-center gap-2 rounded-md bg-amber-50 px-2 py-1 text-xs text-amber-900">
          <span>Anyone with this link can view it:</span>
          <input
            readOnly
            data-testid="public-url"
            className="w-80 rounded border border-amber-200 bg-white px-1.5 py-0.5 font-mono"
            value={publicUrl.url}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button
            type="button"
            data-testid="revoke-link"
            className="font-medium text-amber-900 underline"
            onClick={async () => {
              await revoke.mutateAsync({ id: publicUrl.id });
              setPublicUrl(null);
            }}
          >
            Revoke
          </button>
        </span>
      ) : null}
      {create.error ? <span className="text-xs text-red-700">{create.error.message}</span> : null}
    </div>
  );
}
