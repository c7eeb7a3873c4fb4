"use client";

import { FRAME_MATCHES, type Profile } from "@perforator/profile";
import { parseAsStringLiteral, useQueryState } from "nuqs";
import { useCallback, useState } from "react";
import { DiffTable } from "./diff-table";
import { FlameView } from "./flame-view";

export function SharedView({ id, diff }: { id: string; diff: boolean }) {
  const [loaded, setLoaded] = useState<{ profile: Profile; baseline?: Profile } | null>(null);
  const onLoaded = useCallback((p: { profile: Profile; baseline?: Profile }) => setLoaded(p), []);
  // A diff's frame matching, as the /diff page that made the link had it.
  const [match] = useQueryState("match", parseAsStringLiteral(FRAME_MATCHES).withDefault("name"));
  const url = (side: string) => `/api/source?share=${encodeURIComponent(id)}&side=${side}`;
  return (
    <div className="space-y-4">
      <div className="flex gap-2 text-sm">
        <a
          className="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium text-slate-700 shadow-sm"
          href={`${url("target")}&format=pprof`}
          download
        >
          pprof
        </a>
        <a
          className="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium text-slate-700 shadow-sm"
          href={`${url("target")}&format=html`}
          download
        >
          HTML
        </a>
      </div>
      <FlameView
        url={`${url("target")}&format=view`}
        baselineUrl={diff ? `${url("baseline")}&format=view` : null}
        diffMatch={match}
        onLoaded={onLoaded}
        height={600}
      />
      {diff && loaded?.baseline ? <DiffTable baseline={loaded.baseline} target={loaded.profile} match={match} /> : null}
    </div>
  );
}
