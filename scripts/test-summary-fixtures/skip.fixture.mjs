// Passing, failing, declared and undeclared skips.
import { describe, expect, it } from "vitest";

it("passes", () => expect(2).toBe(2));
it("fails", () => expect(1).toBe(2));
it.skip("postgres (set DATABASE_URL_TEST to run)", () => {});
it.skip("forgot to unskip", () => {});
it.todo("write this");
describe.skipIf(true)("Sampler on the running kernel", () => {
  it("samples", () => {});
});
