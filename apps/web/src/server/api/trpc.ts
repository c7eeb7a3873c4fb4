import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import type { DatabaseHandle } from "../db";

export interface Context {
  database: DatabaseHandle;
}

const t = initTRPC.context<Context>().create({
  // Dates and bigints (profile totals) survive the trip to the browser.
  transformer: superjson,
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;
