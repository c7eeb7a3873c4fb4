-- Optimization reports (issue 12): a frozen before/after comparison with notes and figures.
-- CreateTable
CREATE TABLE "Report" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "slug" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "serviceId" TEXT,
    "title" TEXT NOT NULL,
    "notes" TEXT NOT NULL DEFAULT '',
    "figures" JSONB NOT NULL,
    "baselineSource" JSONB NOT NULL,
    "targetSource" JSONB NOT NULL,
    "baselineBody" BLOB NOT NULL,
    "targetBody" BLOB NOT NULL,
    "moved" JSONB NOT NULL,
    "authorId" TEXT,
    "editedById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Report_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Report_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Report_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "user" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Report_editedById_fkey" FOREIGN KEY ("editedById") REFERENCES "user" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Report_slug_key" ON "Report"("slug");

-- CreateIndex
CREATE INDEX "Report_teamId_createdAt_idx" ON "Report"("teamId", "createdAt");

-- CreateIndex
CREATE INDEX "Report_serviceId_createdAt_idx" ON "Report"("serviceId", "createdAt");

