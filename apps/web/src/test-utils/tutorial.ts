/**
 * The tutorial's server as folded stacks, for the browser tests: the linear search (slow) and the dict version (fast,
 * search_user nearly gone).
 */
export const SLOW = [
  "<module>;serve_forever;UserIDSearchHandler.do_GET;search_user 900",
  "<module>;serve_forever;UserIDSearchHandler.do_GET;send_response 60",
  "<module>;serve_forever;select 40",
].join("\n");
export const FAST = [
  "<module>;serve_forever;UserIDSearchHandler.do_GET;search_user 4",
  "<module>;serve_forever;UserIDSearchHandler.do_GET;send_response 60",
  "<module>;serve_forever;select 170",
].join("\n");
