"use client";

import { FRAME_MATCHES, type FrameMatch, type Profile } from "@perforator/profile";
import { useQuery } from "@tanstack/react-query";
import { parseAsString, parseAsStringLiteral, useQueryStates } from "nuqs";
import { useCallback, useEffect, useState } from "react";
import { formatDate } from "../lib/format";
import { serviceOf, withService } from "../lib/selector";
import type { Source } from "../lib/source";
import { sourceUrl } from "../lib/source";
import { DEFAULT_FROM, DEFAULT_UNTIL } from "../lib/time";
import { useTRPC } from "../trpc/react";
import { CreateReportButton } from "./create-report";
import { DiffTable } from "./diff-table";
import { FlameView } from "./flame-view";
import { RangePicker } from "./range-picker";
import { ShareBar } from "./share-bar";

function sideParams(prefix: "b" | "t") {
  return {
    [`${prefix}p`]: parseAsString.withDefault(""),
    [`${prefix}query`]: parseAsString.withDefault(""),
    [`${prefix}from`]: parseAsString.withDefault(DEFAULT_FROM),
    [`${prefix}until`]: parseAsString.withDefault(DEFAULT_UNTIL),
  };
}
const params = {
  ...sideParams("b"),
  ...sideParams("t"),
  // How frames of the two sides are matched: by function name and module (default), or every field.
  match: parseAsStringLiteral(FRAME_MATCHES).withDefault("name"),
};

function toSource(v: Record<string, string>, prefix: "b" | "t"): Source | null {
  if (v[`${prefix}p`]) return { kind: "profile", id: v[`${prefix}p`]! };
  const selector = v[`${prefix}query`]!;
  if (!selector) return null;
  return { kind: "query", selector, from: v[`${prefix}from`]!, until: v[`${prefix}until`]! };
}

const field = "rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm shadow-sm";

/** One side of the comparison: a profile (id or recent list) or a selector + range. */
function SidePicker({
  title,
  prefix,
  values,
  set,
}: {
  title: string;
  prefix: "b" | "t";
  values: Record<string, string>;
  set: (patch: Record<string, string | null>) => void;
}) {
  const trpc = useTRPC();
  const recent = useQuery(trpc.profiles.recent.queryOptions({ limit: 50 }));
  const services = useQuery(trpc.profiles.services.queryOptions());
  const mode = values[`${prefix}p`] || !values[`${prefix}query`] ? "profile" : "query";
  const [selector, setSelector] = useState(values[`${prefix}query`] ?? "");
  useEffect(() => setSelector(values[`${prefix}query`] ?? ""), [values, prefix]);
  return (
    <section
      className="flex-1 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
      data-testid={`side-${prefix}`}
    >
      <div className="flex items-center justify-between">
        <h2 className="text-sm font-semibold">
          <span
            className={`mr-2 inline-block h-2.5 w-2.5 rounded-full ${prefix === "b" ? "bg-blue-500" : "bg-red-500"}`}
          />
          {title}
        </h2>
        <div className="flex gap-1 text-xs">
          <button
            type="button"
            className={`rounded px-2 py-1 ${mode === "profile" ? "bg-slate-100 font-medium" : "text-slate-500"}`}
            onClick={() => set({ [`${prefix}query`]: null })}
          >
            Profile
          </button>
          <button
            type="button"
            className={`rounded px-2 py-1 ${mode === "query" ? "bg-slate-100 font-medium" : "text-slate-500"}`}
            onClick={() =>
              set({ [`${prefix}p`]: null, [`${prefix}query`]: withService("", services.data?.[0]?.name ?? "service") })
            }
          >
            Selector + range
          </button>
        </div>
      </div>
      {mode === "profile" ? (
        <select
          aria-label={`${title} profile`}
          className={`${field} mt-3 w-full font-mono`}
          value={values[`${prefix}p`] ?? ""}
          onChange={(e) => set({ [`${prefix}p`]: e.target.value })}
        >
          <option value="">choose a profile…</option>
          {values[`${prefix}p`] && !recent.data?.some((p) => p.id === values[`${prefix}p`]) ? (
            <option value={values[`${prefix}p`]}>{values[`${prefix}p`]}</option>
          ) : null}
          {recent.data?.map((p) => (
            <option key={p.id} value={p.id}>
              {p.service} · {formatDate(p.startTime)} · {p.id.slice(0, 8)}
            </option>
          ))}
        </select>
      ) : (
        <form
          className="mt-3 flex flex-wrap items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            set({ [`${prefix}query`]: selector.trim() });
          }}
        >
          <input
            aria-label={`${title} selector`}
            value={selector}
            onChange={(e) => setSelector(e.target.value)}
            onBlur={() => set({ [`${prefix}query`]: selector.trim() })}
            spellCheck={false}
            className={`${field} min-w-0 flex-1 font-mono`}
            placeholder={'{service="api"}'}
          />
          <RangePicker
            idPrefix={prefix}
            from={values[`${prefix}from`]!}
            until={values[`${prefix}until`]!}
            onChange={(f, u) => set({ [`${prefix}from`]: f, [`${prefix}until`]: u })}
          />
          {serviceOf(selector) === null ? (
            <p className="w-full text-xs text-amber-700">Name a service: {'{service="…"}'}</p>
          ) : null}
        </form>
      )}
    </section>
  );
}

/** "Match frames: by name | exact": how the diff flamegraph and the table line up the two sides' frames. */
export function MatchToggle({ match, onChange }: { match: FrameMatch; onChange: (m: FrameMatch) => void }) {
  const choices: [FrameMatch, string, string][] = [
    [
      "name",
      "by name",
      "Function name and module: the same function in another directory, host or virtualenv lines up",
    ],
    ["exact", "exact", "Every field of the frame (name, file, line, kind, module) must be equal"],
  ];
  return (
    <div
      className="flex items-center gap-2 text-sm"
      role="radiogroup"
      aria-label="Match frames"
      data-testid="match-frames"
    >
      <span className="text-slate-600">Match frames:</span>
      {choices.map(([m, label, title]) => (
        <button
          key={m}
          type="button"
          aria-pressed={match === m}
          title={title}
          className={`rounded-md border px-2 py-1 ${match === m ? "border-indigo-300 bg-indigo-50 font-medium text-indigo-700" : "border-slate-300 bg-white text-slate-600 hover:bg-slate-50"}`}
          onClick={() => onChange(m)}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

/** Baseline vs target: the diff flamegraph (red grew, blue shrank, removed frames kept) and the change table. */
export function DiffView({ canShare }: { canShare: boolean }) {
  const [values, setValues] = useQueryStates(params, { history: "push" });
  const v = values as Record<string, string>;
  const set = useCallback((patch: Record<string, string | null>) => void setValues(patch), [setValues]);
  const match = values.match as FrameMatch;
  const baseline = toSource(v, "b");
  const target = toSource(v, "t");
  const targetUrl = target ? sourceUrl(target, { format: "view" }) : null;
  const baselineUrl = baseline ? sourceUrl(baseline, { format: "view" }) : null;
  // What the flamegraph loaded, and for which pair of URLs (a stale pair is not shown in the table).
  const [loaded, setLoaded] = useState<{ key: string; profile: Profile; baseline?: Profile } | null>(null);
  const key = `${targetUrl} ${baselineUrl}`;
  const onLoaded = useCallback((p: { profile: Profile; baseline?: Profile }) => setLoaded({ key, ...p }), [key]);
  return (
    <div className="space-y-4">
      <div className="flex items-center justify-between">
        <h1 className="text-xl font-semibold">Diff</h1>
        <div className="flex items-center gap-2">
          <button
            type="button"
            className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50"
            onClick={() =>
              set({
                bp: v.tp || null,
                bquery: v.tquery || null,
                bfrom: v.tfrom || null,
                buntil: v.tuntil || null,
                tp: v.bp || null,
                tquery: v.bquery || null,
                tfrom: v.bfrom || null,
                tuntil: v.buntil || null,
              })
            }
          >
            ⇄ Swap
          </button>
          {canShare ? <CreateReportButton baseline={baseline} target={target} /> : null}
          <ShareBar target={target} baseline={baseline} canShare={canShare && baseline !== null} />
        </div>
      </div>
      <div className="flex flex-col gap-4 lg:flex-row">
        <SidePicker title="Baseline (before)" prefix="b" values={v} set={set} />
        <SidePicker title="Target (after)" prefix="t" values={v} set={set} />
      </div>
      {targetUrl && baselineUrl ? (
        <>
          <MatchToggle match={match} onChange={(m) => set({ match: m === "name" ? null : m })} />
          <FlameView url={targetUrl} baselineUrl={baselineUrl} diffMatch={match} onLoaded={onLoaded} height={520} />
          {loaded?.baseline && loaded.key === key ? (
            <DiffTable baseline={loaded.baseline} target={loaded.profile} match={match} />
          ) : null}
        </>
      ) : (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-500">
          Choose a baseline and a target: each a stored profile, or every profile a selector matches in a time range.
        </p>
      )}
    </div>
  );
}
