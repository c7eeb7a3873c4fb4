-- Function summaries move from each profile (ProfileFunction, ~100 rows per upload) to each rollup window
-- (RollupFunction, written by the compactor); rollups gain their default sample type and total; a 1-day level.

-- DropIndex
DROP INDEX "ProfileFunction_teamId_serviceId_startTime_idx";

-- DropIndex
DROP INDEX "ProfileFunction_profileId_idx";

-- DropTable
PRAGMA foreign_keys=off;
DROP TABLE "ProfileFunction";
PRAGMA foreign_keys=on;

-- CreateTable
CREATE TABLE "RollupFunction" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "rollupId" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "serviceId" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "windowStart" DATETIME NOT NULL,
    "name" TEXT NOT NULL,
    "file" TEXT NOT NULL,
    "self" BIGINT NOT NULL,
    "total" BIGINT NOT NULL,
    CONSTRAINT "RollupFunction_rollupId_fkey" FOREIGN KEY ("rollupId") REFERENCES "Rollup" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Rollup" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "teamId" TEXT NOT NULL,
    "serviceId" TEXT NOT NULL,
    "sampleTypes" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "windowStart" DATETIME NOT NULL,
    "windowEnd" DATETIME NOT NULL,
    "profileCount" INTEGER NOT NULL,
    "minStart" DATETIME NOT NULL,
    "maxEnd" DATETIME NOT NULL,
    "blobKey" TEXT NOT NULL,
    "blobSize" INTEGER NOT NULL,
    "parentId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sampleType" TEXT NOT NULL DEFAULT '',
    "sampleUnit" TEXT NOT NULL DEFAULT '',
    "totalValue" BIGINT NOT NULL DEFAULT 0,
    "summarised" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "Rollup_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Rollup_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Rollup_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Rollup" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Rollup" ("blobKey", "blobSize", "createdAt", "id", "level", "maxEnd", "minStart", "parentId", "profileCount", "sampleTypes", "serviceId", "teamId", "windowEnd", "windowStart") SELECT "blobKey", "blobSize", "createdAt", "id", "level", "maxEnd", "minStart", "parentId", "profileCount", "sampleTypes", "serviceId", "teamId", "windowEnd", "windowStart" FROM "Rollup";
DROP TABLE "Rollup";
ALTER TABLE "new_Rollup" RENAME TO "Rollup";
CREATE INDEX "Rollup_teamId_serviceId_sampleTypes_level_windowStart_idx" ON "Rollup"("teamId", "serviceId", "sampleTypes", "level", "windowStart");
CREATE INDEX "Rollup_teamId_level_windowStart_idx" ON "Rollup"("teamId", "level", "windowStart");
CREATE INDEX "Rollup_teamId_level_parentId_windowStart_idx" ON "Rollup"("teamId", "level", "parentId", "windowStart");
CREATE INDEX "Rollup_parentId_idx" ON "Rollup"("parentId");
CREATE INDEX "Rollup_blobKey_idx" ON "Rollup"("blobKey");
CREATE INDEX "Rollup_summarised_idx" ON "Rollup"("summarised");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "RollupFunction_rollupId_idx" ON "RollupFunction"("rollupId");


-- Rollups written before function summaries existed: their default sample type and total from their profiles' rows,
-- level by level (each from the one below), so the dashboard's volume is right at once. Their function summaries
-- (`summarised` stays false) are backfilled from their blobs by the compactor.
UPDATE "Rollup" SET
    "totalValue" = COALESCE((SELECT SUM(p."totalValue") FROM "Profile" p WHERE p."rollupId" = "Rollup"."id"), 0),
    "sampleType" = COALESCE((SELECT p."sampleType" FROM "Profile" p WHERE p."rollupId" = "Rollup"."id" ORDER BY p."startTime", p."id" LIMIT 1), ''),
    "sampleUnit" = COALESCE((SELECT p."sampleUnit" FROM "Profile" p WHERE p."rollupId" = "Rollup"."id" ORDER BY p."startTime", p."id" LIMIT 1), '')
WHERE "level" = 60;
UPDATE "Rollup" SET
    "totalValue" = COALESCE((SELECT SUM(c."totalValue") FROM "Rollup" c WHERE c."parentId" = "Rollup"."id"), 0),
    "sampleType" = COALESCE((SELECT c."sampleType" FROM "Rollup" c WHERE c."parentId" = "Rollup"."id" ORDER BY c."windowStart", c."id" LIMIT 1), ''),
    "sampleUnit" = COALESCE((SELECT c."sampleUnit" FROM "Rollup" c WHERE c."parentId" = "Rollup"."id" ORDER BY c."windowStart", c."id" LIMIT 1), '')
WHERE "level" = 600;
UPDATE "Rollup" SET
    "totalValue" = COALESCE((SELECT SUM(c."totalValue") FROM "Rollup" c WHERE c."parentId" = "Rollup"."id"), 0),
    "sampleType" = COALESCE((SELECT c."sampleType" FROM "Rollup" c WHERE c."parentId" = "Rollup"."id" ORDER BY c."windowStart", c."id" LIMIT 1), ''),
    "sampleUnit" = COALESCE((SELECT c."sampleUnit" FROM "Rollup" c WHERE c."parentId" = "Rollup"."id" ORDER BY c."windowStart", c."id" LIMIT 1), '')
WHERE "level" = 3600;
