import { health } from "./routers/health";
import { profilesRouter } from "./routers/profiles";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  health,
  profiles: profilesRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller: `createCaller({ database }).health()`. */
export const createCaller = createCallerFactory(appRouter);
