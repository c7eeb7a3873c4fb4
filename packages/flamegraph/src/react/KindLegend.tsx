"use client";

import { KIND_LEGEND } from "../core/color.js";

/** Colours of frame kinds (and of a search match) outside a diff. */
export function KindLegend() {
  return (
    <div className="pfg-legend">
      {KIND_LEGEND.map((k) => (
        <span key={k.kind}>
          <span className="pfg-swatch" style={{ background: k.color }} />
          {k.label}
        </span>
      ))}
      <span>
        <span className="pfg-swatch" style={{ background: "hsl(300, 85%, 62%)" }} />
        search match
      </span>
    </div>
  );
}
