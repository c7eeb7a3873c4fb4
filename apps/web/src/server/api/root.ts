import { dashboardRouter } from "./routers/dashboard";
import { health } from "./routers/health";
import { profilesRouter } from "./routers/profiles";
import { reportsRouter } from "./routers/reports";
import { shareRouter } from "./routers/share";
import { teamRouter } from "./routers/team";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  health,
  team: teamRouter,
  profiles: profilesRouter,
  share: shareRouter,
  reports: reportsRouter,
  dashboard: dashboardRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller: `createCaller(context).profiles.get({ id })`. */
export const createCaller = createCallerFactory(appRouter);
