// A test that passes, then a failing afterAll.
import { afterAll, expect, it } from "vitest";

afterAll(() => {
  throw new Error("cleanup failed");
});
it("passes before a failing afterAll", () => expect(1).toBe(1));
