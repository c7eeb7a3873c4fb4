"use client";

import type { Profile } from "@perforator/profile";
import { Fragment, useMemo } from "react";
import { LineResolver } from "../core/lines.js";
import { indexTree } from "../core/tree.js";
import type { ViewState } from "../core/url-state.js";
import { FlameCanvas } from "./FlameCanvas.js";
import { buildFlameTree, sandwich } from "./ops.js";

/** The "Sandwich" tab: the callers and the callees of one function. */
export function SandwichTab(props: {
  profile: Profile;
  state: ViewState;
  update: (p: Partial<ViewState>) => void;
  height?: number;
  testHooks?: boolean;
}) {
  const { profile, state, update } = props;
  const names = useMemo(() => {
    const s = new Set<string>();
    for (const f of profile.frames) s.add(f.name);
    return [...s].sort();
  }, [profile]);
  const parts = useMemo(() => {
    if (!state.sandwich) return null;
    const sw = sandwich(profile, { name: state.sandwich });
    const callers = indexTree(buildFlameTree(sw.callers));
    const callees = indexTree(buildFlameTree(sw.callees));
    return {
      callers,
      callees,
      callerLines: new LineResolver(callers.tree, [{ profile: sw.callers }]),
      calleeLines: new LineResolver(callees.tree, [{ profile: sw.callees }]),
    };
  }, [profile, state.sandwich]);
  const half = Math.max(160, Math.floor((props.height ?? 640) / 2));
  return (
    <div className="pfg-sandwich">
      <div className="pfg-toolbar">
        <label>
          Function{" "}
          <input
            className="pfg-select"
            list="pfg-function-names"
            value={state.sandwich}
            placeholder="Pick a function"
            aria-label="Sandwich function"
            onChange={(e) => update({ sandwich: e.target.value })}
          />
        </label>
        <datalist id="pfg-function-names">
          {names.slice(0, 5000).map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
      </div>
      {!parts ? (
        <p className="pfg-muted">
          Pick a function above, or use “sandwich” in the Top table, to see who calls it and what it calls.
        </p>
      ) : parts.callers.total === 0 ? (
        <p className="pfg-muted">
          No samples contain “{state.sandwich}”. Check the exact function name in the Top table.
        </p>
      ) : (
        (
          [
            ["Callers", "callers", parts.callers, parts.callerLines, "flame"],
            ["Callees", "callees", parts.callees, parts.calleeLines, "icicle"],
          ] as const
        ).map(([title, hook, ix, lines, mode]) => (
          <Fragment key={hook}>
            <h3>
              {title} of {state.sandwich}
            </h3>
            <FlameCanvas
              ix={ix}
              zoom={0}
              mode={mode}
              search={null}
              diff={false}
              maxHeight={half}
              lines={lines}
              ariaLabel={`${title} of ${state.sandwich}`}
              hookId={props.testHooks ? hook : undefined}
            />
          </Fragment>
        ))
      )}
    </div>
  );
}
