"use client";

import { sourceUrl } from "../lib/source";
import { FlameView } from "./flame-view";
import { ShareBar } from "./share-bar";

const link =
  "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50";

export function ProfileActions({ id, canShare }: { id: string; canShare: boolean }) {
  const src = { kind: "profile" as const, id };
  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex gap-2" data-testid="downloads">
        <a className={link} href={sourceUrl(src, { format: "pprof" })} download>
          pprof
        </a>
        <a className={link} href={sourceUrl(src, { format: "folded" })} download>
          folded
        </a>
        <a className={link} href={sourceUrl(src, { format: "html" })} download>
          HTML
        </a>
        <a className={link} href={`/diff?bp=${encodeURIComponent(id)}`}>
          Compare…
        </a>
      </div>
      <ShareBar target={src} canShare={canShare} />
    </div>
  );
}

export function ProfileFlame({ id }: { id: string }) {
  return <FlameView url={sourceUrl({ kind: "profile", id }, { format: "view" })} height={620} />;
}
