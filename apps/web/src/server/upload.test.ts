import { renderStandaloneHtml } from "@perforator/flamegraph/standalone";
import { importProfile, toPprof } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { HttpError } from "./sources";
import { parseUploadedFile, serviceFromFilename } from "./upload";

const FOLDED = "main;handle;search_user 90\nmain;handle;send 10\n";
const enc = (s: string) => new TextEncoder().encode(s);
const total = (p: ReturnType<typeof importProfile>) => p.samples.reduce((a, s) => a + s.values[0]!, 0);

function status(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, message: err.message };
    throw err;
  }
  return { status: 0, message: "" };
}

describe("parseUploadedFile", () => {
  it("reads folded stacks and gzipped pprof, keeping the bytes as uploaded", () => {
    const folded = parseUploadedFile(enc(FOLDED), "server.folded");
    expect(folded.format).toBe("folded");
    expect(total(folded.profile)).toBe(100);
    const gz = toPprof(folded.profile);
    const pprof = parseUploadedFile(gz, "server.pb.gz");
    expect(pprof.format).toBe("pprof");
    expect(pprof.body).toBe(gz);
    expect(total(pprof.profile)).toBe(100);
  });

  it("takes a flamegraph page written by perforator and stores its embedded profile as JSON", () => {
    const profile = importProfile(enc(FOLDED));
    const html = renderStandaloneHtml({ title: "server.py", profile });
    const r = parseUploadedFile(enc(html), "flame.html");
    expect(r.format).toBe("perforator-json");
    expect(total(r.profile)).toBe(100);
    expect(total(importProfile(r.body))).toBe(100);
  });

  it("refuses empty files, HTML without a profile and garbage with 400 naming the file", () => {
    expect(status(() => parseUploadedFile(new Uint8Array(), "a.pb"))).toMatchObject({
      status: 400,
      message: "a.pb is empty",
    });
    expect(status(() => parseUploadedFile(enc("<!doctype html><p>hi</p>"), "page.html")).message).toMatch(
      /page\.html is an HTML page without an embedded profile/,
    );
    expect(status(() => parseUploadedFile(enc("{nope"), "x.json"))).toMatchObject({ status: 400 });
    expect(status(() => parseUploadedFile(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), "x.gz")).message).toMatch(
      /does not inflate/,
    );
  });
});

describe("serviceFromFilename", () => {
  it("strips directories and profile extensions", () => {
    expect(serviceFromFilename("/tmp/server.py.pb.gz")).toBe("server.py");
    expect(serviceFromFilename("C:\\x\\api.folded")).toBe("api");
    expect(serviceFromFilename("flame.html")).toBe("flame");
    expect(serviceFromFilename("???.json")).toBe("upload");
  });
});
