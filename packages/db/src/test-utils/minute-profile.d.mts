import type { Profile } from "@perforator/profile";

/** Folded `text` recorded over minute `i` of 2026-11-25 UTC, as storeProfile's from/until/profile/body/format. */
export function foldedMinute(
  text: string,
  i: number,
): { from: Date; until: Date; profile: Profile; body: Uint8Array; format: "folded" };
