import { createCaller } from "../server/api/root";
import { getDatabase } from "../server/db";

/** tRPC caller for React Server Components: same procedures, no HTTP hop. */
export function serverApi() {
  return createCaller({ database: getDatabase() });
}
