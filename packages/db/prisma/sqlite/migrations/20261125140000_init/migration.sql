-- CreateTable
CREATE TABLE "Service" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Profile" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "serviceId" TEXT NOT NULL,
    "startTime" DATETIME NOT NULL,
    "endTime" DATETIME NOT NULL,
    "sampleType" TEXT NOT NULL,
    "sampleUnit" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "totalValue" BIGINT NOT NULL,
    "sampleCount" INTEGER NOT NULL,
    "format" TEXT NOT NULL,
    "blobKey" TEXT NOT NULL,
    "blobSize" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Profile_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Service_name_key" ON "Service"("name");

-- CreateIndex
CREATE INDEX "Profile_serviceId_startTime_idx" ON "Profile"("serviceId", "startTime");

-- CreateIndex
CREATE INDEX "Profile_startTime_idx" ON "Profile"("startTime");

