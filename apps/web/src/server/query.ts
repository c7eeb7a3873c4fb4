import { type LabelMatcher, parseSelector } from "@perforator/profile";

/** A selector split into the service it names (`service="x"`) and the other label matchers. */
export function parseQuery(text: string): { service: string | undefined; matchers: LabelMatcher[] } {
  const all = parseSelector(text);
  const svc = all.find((m) => m.name === "service" && m.op === "=");
  return { service: svc?.value, matchers: all.filter((m) => m !== svc) };
}
