"use client";

import { DIFF_FULL_SCALE } from "../core/color.js";
import type { FrameMatch } from "./ops.js";

/** How a diff is coloured, what new and removed frames look like, and how frames of the two profiles were matched. */
export function DiffLegend({ match }: { match: FrameMatch }) {
  return (
    <div className="pfg-legend" data-testid="diff-legend">
      <span>
        share of total shrank
        <span className="pfg-gradient" />
        grew (full colour at ±{(DIFF_FULL_SCALE * 100).toFixed(0)} pp)
      </span>
      <span>
        <span className="pfg-swatch" style={{ background: "hsl(0, 0%, 78%)" }} />
        unchanged (&lt; 0.1 pp)
      </span>
      <span>
        <span className="pfg-swatch pfg-hatch" />
        new: only in the new profile
      </span>
      <span>
        <span className="pfg-swatch pfg-ghost" />
        removed: only in the baseline (width: its baseline share)
      </span>
      <span>widths: new profile</span>
      <span data-testid="diff-match">
        {match === "exact"
          ? "frames matched exactly (file, line, module)"
          : "frames matched by function name and module (not by directory)"}
      </span>
    </div>
  );
}
