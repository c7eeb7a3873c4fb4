import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileMatchers, formatSelector, parseSelector, SelectorError } from "./selector.js";

describe("parseSelector", () => {
  it("reads the four operators, quotes, escapes and the service shorthand", () => {
    expect(parseSelector(`{service="api", host=~"web-.*",pid!="1" , tid!~'1\\d+'}`)).toEqual([
      { name: "service", op: "=", value: "api" },
      { name: "host", op: "=~", value: "web-.*" },
      { name: "pid", op: "!=", value: "1" },
      { name: "tid", op: "!~", value: "1d+" },
    ]);
    expect(parseSelector('{path="a\\"b\\\\c"}')).toEqual([{ name: "path", op: "=", value: 'a"b\\c' }]);
    expect(parseSelector("{re=~`\\d+`}")).toEqual([{ name: "re", op: "=~", value: "\\d+" }]);
    expect(parseSelector('shop.api{env="prod"}')).toEqual([
      { name: "service", op: "=", value: "shop.api" },
      { name: "env", op: "=", value: "prod" },
    ]);
    expect(parseSelector("shop.api")).toEqual([{ name: "service", op: "=", value: "shop.api" }]);
    expect(parseSelector("")).toEqual([]);
    expect(parseSelector(" { } ")).toEqual([]);
  });

  it("names the position and the problem of a bad selector", () => {
    const bad: [string, RegExp][] = [
      ['{host="a"', /missing closing/],
      ['{host=a"}', /quoted value/],
      ['{host~"a"}', /expected =, !=/],
      ['{host="a" pid="1"}', /"," or "}"/],
      ['{host="a}', /unterminated/],
      ['{host=~"(a"}', /invalid regular expression/],
      ['{="a"}', /label name/],
      ['{a="b"} x', /after the closing/],
    ];
    for (const [text, re] of bad) {
      let err: unknown;
      try {
        parseSelector(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(SelectorError);
      expect((err as Error).message, text).toMatch(re);
      expect((err as Error).message).toMatch(/character \d+/);
    }
  });

  it("round-trips through formatSelector", () => {
    const matcher = fc.record({
      name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/),
      op: fc.constantFrom("=" as const, "!=" as const, "=~" as const, "!~" as const),
      value: fc.string({ maxLength: 8 }).filter((v) => {
        try {
          new RegExp(v);
          return true;
        } catch {
          return false;
        }
      }),
    });
    fc.assert(
      fc.property(fc.array(matcher, { maxLength: 5 }), (ms) => {
        expect(parseSelector(formatSelector(ms))).toEqual(ms);
      }),
    );
  });
});

describe("compileMatchers", () => {
  it("anchors regular expressions and treats absent labels as empty", () => {
    const m = compileMatchers(parseSelector('{host=~"web-.*", pid!="1"}'));
    expect(m({ host: "web-1", pid: "2" })).toBe(true);
    expect(m({ host: "web-1" })).toBe(true);
    expect(m({ host: "xweb-1", pid: "2" })).toBe(false);
    expect(m({ host: "web-1", pid: "1" })).toBe(false);
    expect(compileMatchers(parseSelector('{pid=""}'))({})).toBe(true);
    expect(compileMatchers(parseSelector('{host!~"db.*"}'))({ host: "db1" })).toBe(false);
    expect(compileMatchers([])({ any: "x" })).toBe(true);
  });
});
