"use client";

import { useEffect, useRef } from "react";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/**
 * Sample volume over the selected range (uPlot bars); dragging across it selects a narrower range.
 * `times` are unix seconds (bucket starts), `values` the summed profile totals per bucket.
 */
export function Timeline({
  times,
  values,
  unit,
  onSelect,
}: {
  times: number[];
  values: number[];
  unit: string;
  onSelect: (fromMs: number, untilMs: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  useEffect(() => {
    let plot: uPlot | undefined;
    let observer: ResizeObserver | undefined;
    let cancelled = false;
    void import("uplot").then(({ default: UPlot }) => {
      if (cancelled || !box.current) return;
      const el = box.current;
      const opts: uPlot.Options = {
        width: el.clientWidth,
        height: 140,
        legend: { show: false },
        cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { stroke: "#64748b", grid: { stroke: "#f1f5f9" }, ticks: { stroke: "#e2e8f0" } },
          {
            stroke: "#64748b",
            grid: { stroke: "#f1f5f9" },
            ticks: { stroke: "#e2e8f0" },
            size: 60,
            values: (_u, v) => v.map(short),
          },
        ],
        series: [
          {},
          {
            label: unit,
            stroke: "#6366f1",
            fill: "rgba(99,102,241,0.25)",
            paths: UPlot.paths.bars!({ size: [0.9, 40] }),
            points: { show: false },
          },
        ],
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 3) return;
              const a = u.posToVal(u.select.left, "x");
              const b = u.posToVal(u.select.left + u.select.width, "x");
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              select.current(Math.round(a * 1000), Math.round(b * 1000));
            },
          ],
        },
      };
      plot = new UPlot(opts, [times, values], el);
      observer = new ResizeObserver(() => plot?.setSize({ width: el.clientWidth, height: 140 }));
      observer.observe(el);
    });
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [times, values, unit]);
  return <div ref={box} data-testid="timeline" className="w-full select-none" />;
}

function short(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e12) return `${(v / 1e12).toFixed(1)}T`;
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return String(v);
}
