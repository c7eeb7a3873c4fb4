import { type NextRequest, NextResponse } from "next/server";

/**
 * Sends visitors without a session cookie to the sign-in page, remembering where they wanted to go. Only a fast
 * first filter: the session itself is checked on the server by every page and procedure.
 */
export function proxy(req: NextRequest) {
  const has = req.cookies.has("perforator.session_token") || req.cookies.has("__Secure-perforator.session_token");
  if (has) return NextResponse.next();
  const url = req.nextUrl.clone();
  url.pathname = "/sign-in";
  url.search = `?next=${encodeURIComponent(req.nextUrl.pathname + req.nextUrl.search)}`;
  return NextResponse.redirect(url);
}

export const config = {
  // Public: sign-in/up, invite acceptance, public share links and reports (/r/ answers 404 itself without access), APIs (they answer 401 themselves), Next's assets.
  matcher: ["/((?!api/|_next/|sign-in|sign-up|s/|r/|favicon.ico).*)"],
};
