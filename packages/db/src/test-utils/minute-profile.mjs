// storeProfile's input for a small folded profile recorded over one minute: shared by the multi-process tests and
// their child processes (plain node, hence .mjs; types in minute-profile.d.mts).
import { parseFolded } from "@perforator/profile";

/** Folded `text` recorded over minute `i` of 2026-11-25 UTC, as storeProfile's from/until/profile/body/format. */
export function foldedMinute(text, i) {
  return {
    from: new Date(Date.UTC(2026, 10, 25, 0, i)),
    until: new Date(Date.UTC(2026, 10, 25, 0, i + 1)),
    profile: parseFolded(text),
    body: new TextEncoder().encode(text),
    format: "folded",
  };
}
