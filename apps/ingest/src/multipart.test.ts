import { describe, expect, it } from "vitest";
import { boundaryOf, parseMultipart } from "./multipart.js";

describe("parseMultipart", () => {
  it("reads fields with names, filenames and binary data containing CRLF and dashes", () => {
    const bin = Buffer.from([0x1f, 0x8b, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff]);
    const body = Buffer.concat([
      Buffer.from('preamble\r\n--b0undary\r\nContent-Disposition: form-data; name="profile"; filename="p.pb.gz"\r\n'),
      Buffer.from("Content-Type: application/octet-stream\r\n\r\n"),
      bin,
      Buffer.from('\r\n--b0undary\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--b0undary--\r\n'),
    ]);
    const parts = parseMultipart(body, boundaryOf('multipart/form-data; boundary="b0undary"'));
    expect(parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ["profile", "p.pb.gz", "application/octet-stream"],
      ["note", undefined, undefined],
    ]);
    expect(parts[0]!.data.equals(bin)).toBe(true);
    expect(parts[1]!.data.toString()).toBe("hello");
  });

  it("reports truncated uploads and missing boundaries", () => {
    expect(() => boundaryOf("multipart/form-data")).toThrow(/without a boundary/);
    expect(() =>
      parseMultipart(Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nabc'), "b"),
    ).toThrow(/truncated/);
    expect(() => parseMultipart(Buffer.from("no boundary here"), "b")).toThrow(/does not contain its boundary/);
  });
});
