-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Service" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Service_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Profile" (
    "id" TEXT NOT NULL,
    "serviceId" TEXT NOT NULL,
    "startTime" TIMESTAMP(3) NOT NULL,
    "endTime" TIMESTAMP(3) NOT NULL,
    "sampleType" TEXT NOT NULL,
    "sampleUnit" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "totalValue" BIGINT NOT NULL,
    "sampleCount" INTEGER NOT NULL,
    "format" TEXT NOT NULL,
    "blobKey" TEXT NOT NULL,
    "blobSize" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Profile_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Service_name_key" ON "Service"("name");

-- CreateIndex
CREATE INDEX "Profile_serviceId_startTime_idx" ON "Profile"("serviceId", "startTime");

-- CreateIndex
CREATE INDEX "Profile_startTime_idx" ON "Profile"("startTime");

-- AddForeignKey
ALTER TABLE "Profile" ADD CONSTRAINT "Profile_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service"("id") ON DELETE CASCADE ON UPDATE CASCADE;

