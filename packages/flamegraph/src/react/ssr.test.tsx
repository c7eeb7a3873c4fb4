import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { serverProfile, XSS, xssProfile } from "../test-utils/profiles.js";
import { FlameGraphViewer } from "./FlameGraphViewer.js";

describe("FlameGraphViewer on the server (Next.js renders client components once on the server)", () => {
  it("renders the toolbar and the canvas container without touching browser-only APIs", () => {
    const html = renderToString(<FlameGraphViewer profile={serverProfile({ search: 90, send: 4, idle: 6 })} />);
    expect(html).toContain('aria-label="Search functions"');
    expect(html).toContain("<canvas");
    expect(html).toContain("Top table");
  });
  it("renders a diff with its legend, and escapes names in the breadcrumb", () => {
    const html = renderToString(
      <FlameGraphViewer
        profile={xssProfile()}
        baseline={xssProfile()}
        initialState={{ zoom: ["main", XSS], search: XSS }}
      />,
    );
    expect(html).toContain('data-testid="diff-legend"');
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;");
  });
});
