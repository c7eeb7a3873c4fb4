"use client";

import { FlameGraphViewer } from "@perforator/flamegraph/react";
import type { Profile } from "@perforator/profile";
import { useEffect } from "react";
import { LoadProgress } from "./progress";
import { useProfile } from "./use-profile";

/**
 * A flamegraph of bytes fetched from `url` (diff against `baselineUrl` when given), with progress while loading.
 * The viewer keeps its state (tab, zoom, search, by line...) in the page URL, so "Copy link" reproduces the view.
 */
export function FlameView({
  url,
  baselineUrl,
  onLoaded,
  height = 560,
}: {
  url: string | null;
  baselineUrl?: string | null;
  onLoaded?: (p: { profile: Profile; baseline?: Profile }) => void;
  height?: number;
}) {
  const target = useProfile(url);
  const base = useProfile(baselineUrl ?? null);
  const ready = target.phase === "done" && (!baselineUrl || base.phase === "done");
  const profile = target.phase === "done" ? target.profile : null;
  const baseline = base.phase === "done" ? base.profile : undefined;
  useEffect(() => {
    if (ready && profile) onLoaded?.({ profile, ...(baseline ? { baseline } : {}) });
  }, [ready, profile, baseline, onLoaded]);
  if (!url) return null;
  if (!ready || !profile) {
    return (
      <div className="space-y-2">
        {baselineUrl ? <LoadProgress state={base} what="baseline" /> : null}
        <LoadProgress state={target} what={baselineUrl ? "target" : "profile"} />
      </div>
    );
  }
  return (
    <div data-testid="flamegraph" className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm">
      {profile.samples.length === 0 ? (
        <p className="p-6 text-center text-sm text-slate-500" data-testid="no-samples">
          No samples in this selection.
        </p>
      ) : (
        <FlameGraphViewer profile={profile} baseline={baseline} syncUrl testHooks height={height} />
      )}
    </div>
  );
}
