import { describe, expect, it } from "vitest";
import { parseAppName, parseTime } from "./pyroscope.js";

describe("parseAppName", () => {
  it("splits the profile-type suffix and the labels off the service name", () => {
    expect(parseAppName("my.app.cpu{env=staging,region=us-west-1}")).toEqual({
      service: "my.app",
      type: "cpu",
      labels: { env: "staging", region: "us-west-1" },
    });
    expect(parseAppName("demo.app{otel.scope.name=x,env=test}")).toEqual({
      service: "demo.app",
      type: undefined,
      labels: { "otel.scope.name": "x", env: "test" },
    });
    expect(parseAppName("svc.alloc_space{}")).toEqual({ service: "svc", type: "alloc_space", labels: {} });
  });
});

describe("parseTime", () => {
  const now = new Date("2026-11-25T12:00:00Z");
  it("reads unix seconds, milliseconds, nanoseconds and now-relative times", () => {
    expect(parseTime("1764072000", "from", now)?.toISOString()).toBe("2025-11-25T12:00:00.000Z");
    expect(parseTime("1764072000123", "from", now)?.toISOString()).toBe("2025-11-25T12:00:00.123Z");
    expect(parseTime("1764072000123000000", "from", now)?.toISOString()).toBe("2025-11-25T12:00:00.123Z");
    expect(parseTime("now-5m", "from", now)?.toISOString()).toBe("2026-11-25T11:55:00.000Z");
    expect(parseTime(undefined, "from", now)).toBeUndefined();
  });
});
