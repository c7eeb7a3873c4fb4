// A test file whose import crashes: no test of it runs.
import "./does-not-exist.mjs";
import { it } from "vitest";

it("never runs", () => {});
