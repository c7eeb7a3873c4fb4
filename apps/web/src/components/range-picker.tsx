"use client";

import { useState } from "react";
import { describeRange, PRESETS, resolveRange, toLocalInput } from "../lib/time";

const field = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm shadow-sm";

/** Presets (relative to now) and an absolute from/until in local time. */
export function RangePicker({
  from,
  until,
  onChange,
  idPrefix = "",
}: {
  from: string;
  until: string;
  onChange: (from: string, until: string) => void;
  idPrefix?: string;
}) {
  const [open, setOpen] = useState(false);
  const resolved = (() => {
    try {
      return resolveRange(from, until);
    } catch {
      return null;
    }
  })();
  const [a, setA] = useState("");
  const [b, setB] = useState("");
  return (
    <div className="relative">
      <button
        type="button"
        data-testid={`${idPrefix}range-button`}
        className={`${field} flex items-center gap-2 font-medium text-slate-700`}
        onClick={() => {
          if (!open && resolved) {
            setA(toLocalInput(resolved.from));
            setB(toLocalInput(resolved.until));
          }
          setOpen(!open);
        }}
      >
        <svg
          aria-hidden
          viewBox="0 0 20 20"
          className="h-4 w-4 text-slate-500"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.6"
        >
          <circle cx="10" cy="10" r="7.25" />
          <path d="M10 6v4.2l2.8 1.8" strokeLinecap="round" />
        </svg>
        {describeRange(from, until)}
      </button>
      {open ? (
        <div className="absolute right-0 z-20 mt-1 w-80 rounded-lg border border-slate-200 bg-white p-3 shadow-lg">
          <div className="grid grid-cols-3 gap-1">
            {PRESETS.map((p) => (
              <button
                key={p.from}
                type="button"
                className={`rounded px-2 py-1 text-sm ${from === p.from && until === "now" ? "bg-indigo-50 font-medium text-indigo-700" : "hover:bg-slate-100"}`}
                onClick={() => {
                  onChange(p.from, "now");
                  setOpen(false);
                }}
              >
                {p.label}
              </button>
            ))}
          </div>
          <form
            className="mt-3 space-y-2 border-t border-slate-100 pt-3 text-sm"
            onSubmit={(e) => {
              e.preventDefault();
              const f = new Date(a).getTime();
              const u = new Date(b).getTime();
              if (Number.isFinite(f) && Number.isFinite(u) && f < u) {
                onChange(String(f), String(u));
                setOpen(false);
              }
            }}
          >
            <label className="flex items-center justify-between gap-2">
              From
              <input type="datetime-local" className={field} value={a} onChange={(e) => setA(e.target.value)} />
            </label>
            <label className="flex items-center justify-between gap-2">
              Until
              <input type="datetime-local" className={field} value={b} onChange={(e) => setB(e.target.value)} />
            </label>
            <button type="submit" className="w-full rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white">
              Apply absolute range
            </button>
          </form>
        </div>
      ) : null}
    </div>
  );
}
