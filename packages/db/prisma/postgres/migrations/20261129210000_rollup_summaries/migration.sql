-- Function summaries move from each profile (ProfileFunction, ~100 rows per upload) to each rollup window
-- (RollupFunction, written by the compactor); rollups gain their default sample type and total; a 1-day level.

-- DropForeignKey
ALTER TABLE "ProfileFunction" DROP CONSTRAINT "ProfileFunction_profileId_fkey";

-- DropForeignKey
ALTER TABLE "ProfileFunction" DROP CONSTRAINT "ProfileFunction_teamId_fkey";

-- AlterTable
ALTER TABLE "Rollup" ADD COLUMN     "sampleType" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "sampleUnit" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "summarised" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "totalValue" BIGINT NOT NULL DEFAULT 0;

-- DropTable
DROP TABLE "ProfileFunction";

-- CreateTable
CREATE TABLE "RollupFunction" (
    "id" TEXT NOT NULL,
    "rollupId" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "serviceId" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "name" TEXT NOT NULL,
    "file" TEXT NOT NULL,
    "self" BIGINT NOT NULL,
    "total" BIGINT NOT NULL,

    CONSTRAINT "RollupFunction_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RollupFunction_rollupId_idx" ON "RollupFunction"("rollupId");

-- CreateIndex
CREATE INDEX "Rollup_teamId_level_windowStart_idx" ON "Rollup"("teamId", "level", "windowStart");

-- CreateIndex
CREATE INDEX "Rollup_teamId_level_parentId_windowStart_idx" ON "Rollup"("teamId", "level", "parentId", "windowStart");

-- CreateIndex
CREATE INDEX "Rollup_summarised_idx" ON "Rollup"("summarised");

-- AddForeignKey
ALTER TABLE "RollupFunction" ADD CONSTRAINT "RollupFunction_rollupId_fkey" FOREIGN KEY ("rollupId") REFERENCES "Rollup"("id") ON DELETE CASCADE ON UPDATE CASCADE;


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
