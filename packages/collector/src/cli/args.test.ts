import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { displayUrl } from "../output/serve.js";
import { defaultOutputName, parseDuration, parseFormat, parseFreq, parseListenAddress, parsePids } from "./args.js";

describe("parseDuration", () => {
  it("accepts the units users type", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("1m")).toBe(60_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("10")).toBe(10_000);
  });
  it("rejects nonsense naming the flag", () => {
    for (const bad of ["", "0s", "-1s", "1x", "s", "1 m", "abc", "0"]) {
      expect(() => parseDuration(bad)).toThrow(UsageError);
      expect(() => parseDuration(bad)).toThrow(/--duration/);
    }
  });
});

describe("parseFreq", () => {
  it("accepts 1..10000", () => {
    expect(parseFreq("1")).toBe(1);
    expect(parseFreq("99")).toBe(99);
    expect(parseFreq("10000")).toBe(10000);
  });
  it("rejects out of range or non-integers", () => {
    for (const bad of ["0", "10001", "9.5", "-5", "fast", ""])
      expect(() => parseFreq(bad)).toThrow(/--freq.*1 to 10000/);
  });
});

describe("parsePids", () => {
  it("accepts repeated flags and comma lists, without duplicates", () => {
    expect(parsePids("12")).toEqual([12]);
    expect(parsePids("12,34", [5])).toEqual([5, 12, 34]);
    expect(parsePids("5", [5])).toEqual([5]);
  });
  it("rejects non-pids", () => {
    for (const bad of ["0", "-1", "x", "1,,2", "1.5"]) expect(() => parsePids(bad)).toThrow(/--pid/);
  });
});

describe("parseListenAddress", () => {
  it("understands :PORT, PORT, HOST:PORT and [v6]:PORT", () => {
    expect(parseListenAddress(":9006")).toEqual({ host: "", port: 9006 });
    expect(parseListenAddress("9006")).toEqual({ host: "", port: 9006 });
    expect(parseListenAddress("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(parseListenAddress("[::1]:80")).toEqual({ host: "::1", port: 80 });
  });
  it("rejects bad ports and hosts", () => {
    for (const bad of [":", ":70000", "host", "a:b:c", ":x"]) expect(() => parseListenAddress(bad)).toThrow(/--serve/);
  });
  it("prints the URL a browser opens", () => {
    expect(displayUrl("", 9006)).toBe("http://localhost:9006/");
    expect(displayUrl("0.0.0.0", 1)).toBe("http://localhost:1/");
    expect(displayUrl("127.0.0.1", 2)).toBe("http://127.0.0.1:2/");
    expect(displayUrl("::1", 3)).toBe("http://[::1]:3/");
  });
});

describe("formats", () => {
  it("maps names and aliases and picks default file names", () => {
    expect(parseFormat("html")).toBe("html");
    expect(parseFormat("flamegraph")).toBe("html");
    expect(parseFormat("PPROF")).toBe("pprof");
    expect(parseFormat("collapsed")).toBe("folded");
    expect(() => parseFormat("svg")).toThrow(/--format.*html, pprof, folded, json/);
    expect(defaultOutputName("html")).toBe("perforator.html");
    expect(defaultOutputName("pprof")).toBe("perforator.pb.gz");
  });
});
