import { perforatorVersion } from "@perforator/profile/version";

/** The collector's version: perforator's one version (the root package.json's). */
export function collectorVersion(): string {
  return perforatorVersion();
}
