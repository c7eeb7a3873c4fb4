import { parseProfile } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { serverProfile, XSS, xssProfile } from "../test-utils/profiles.js";
import { escapeHtml, jsonForScript, renderStandaloneHtml } from "./render-html.js";

describe("renderStandaloneHtml", () => {
  it("embeds the data so no name can close the script element, and it parses back exactly", () => {
    const profile = xssProfile();
    const html = renderStandaloneHtml({ title: XSS, profile });
    const m = /<script type="application\/json" id="perforator-data">([\s\S]*?)<\/script>/.exec(html)!;
    expect(m[1]).not.toContain("<");
    const data = JSON.parse(m[1]!);
    expect(data.title).toBe(XSS);
    expect(parseProfile(data.profile)).toEqual(profile);
    // exactly two script elements are closed: the data and the bundled viewer
    expect(html.match(/<\/script>/gi)!.length).toBe(2);
    expect(html).toContain(`<title>${escapeHtml(XSS)}</title>`);
    expect(html).not.toContain("<img");
  });
  it("is self-contained: no external URLs to load", () => {
    const html = renderStandaloneHtml({ title: "t", profile: serverProfile({ search: 1, send: 1, idle: 1 }) });
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).toContain("default-src 'none'");
  });
  it("diff pages carry both profiles", () => {
    const base = serverProfile({ search: 9, send: 1, idle: 1 });
    const target = serverProfile({ search: 1, send: 1, idle: 1 });
    const html = renderStandaloneHtml({ title: "d", profile: target, baseline: base });
    const json = /id="perforator-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(parseProfile(JSON.parse(json).baseline)).toEqual(base);
  });
  it("jsonForScript escapes <, >, & and line separators", () => {
    expect(jsonForScript({ a: "</script>&\u2028" })).toBe('{"a":"\\u003c/script\\u003e\\u0026\\u2028"}');
  });
});
