import { headers } from "next/headers";
import { createCaller } from "../server/api/root";
import { createContext } from "../server/session";

/** tRPC caller for React Server Components: same procedures and the same access checks, no HTTP hop. */
export async function serverApi() {
  return createCaller(await createContext(await headers()));
}
