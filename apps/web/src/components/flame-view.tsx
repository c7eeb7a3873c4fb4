"use client";

import { columnsToProfile, isColumns, type ProfileColumns } from "@perforator/flamegraph";
import { FlameGraphViewer } from "@perforator/flamegraph/react";
import type { FrameMatch, Profile } from "@perforator/profile";
import { useEffect, useMemo } from "react";
import { LoadProgress } from "./progress";
import { useProfile } from "./use-profile";

/**
 * A flamegraph of bytes fetched from `url` (diff against `baselineUrl` when given), with progress while loading.
 * A merge arrives as columns and is drawn from them; a diff needs Profiles (both sides are converted once, and
 * `onLoaded`, called only for a diff, gets those).
 * The viewer keeps its state (tab, zoom, search, by line...) in the page URL, so "Copy link" reproduces the view.
 */
export function FlameView({
  url,
  baselineUrl,
  diffMatch,
  onLoaded,
  height = 560,
}: {
  url: string | null;
  baselineUrl?: string | null;
  /** In a diff: match frames by name (default) or exactly. */
  diffMatch?: FrameMatch;
  onLoaded?: (p: { profile: Profile; baseline?: Profile }) => void;
  height?: number;
}) {
  const target = useProfile(url);
  const base = useProfile(baselineUrl ?? null);
  const ready = target.phase === "done" && (!baselineUrl || base.phase === "done");
  const loadedTarget = target.phase === "done" ? target.profile : null;
  const loadedBase = base.phase === "done" ? base.profile : undefined;
  const diff = Boolean(baselineUrl);
  const profile = useMemo(() => (diff && loadedTarget ? toProfile(loadedTarget) : loadedTarget), [diff, loadedTarget]);
  const baseline = useMemo(() => (loadedBase ? toProfile(loadedBase) : undefined), [loadedBase]);
  useEffect(() => {
    if (ready && profile && baseline && !isColumns(profile)) onLoaded?.({ profile, baseline });
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
      {(isColumns(profile) ? profile.seriesStack.length : profile.samples.length) === 0 ? (
        <p className="p-6 text-center text-sm text-slate-500" data-testid="no-samples">
          No samples in this selection.
        </p>
      ) : (
        <FlameGraphViewer
          profile={profile}
          baseline={baseline}
          diffMatch={diffMatch}
          syncUrl
          testHooks
          height={height}
        />
      )}
    </div>
  );
}

function toProfile(p: Profile | ProfileColumns): Profile {
  return isColumns(p) ? columnsToProfile(p) : p;
}
