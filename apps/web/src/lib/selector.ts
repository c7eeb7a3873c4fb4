/**
 * Small text edits of a PromQL-style selector (`{service="api", host=~"web-.*"}`) for the service picker; the
 * server parses selectors properly (packages/db) and reports syntax errors.
 */
const SERVICE = /service\s*=\s*"((?:[^"\\]|\\.)*)"/;

export function serviceOf(selector: string): string | null {
  return SERVICE.exec(selector)?.[1] ?? null;
}

export function withService(selector: string, service: string): string {
  const quoted = `service="${service.replace(/["\\]/g, "\\$&")}"`;
  const s = selector.trim();
  if (SERVICE.test(s)) return s.replace(SERVICE, quoted);
  const inner = /^\{([\s\S]*)\}$/.exec(s)?.[1]?.trim();
  return inner ? `{${quoted}, ${inner}}` : `{${quoted}}`;
}
