-- CreateTable
CREATE TABLE "usage_counter" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "userId" UUID,
    "periodStart" DATE NOT NULL,
    "granularity" TEXT NOT NULL,
    "requests" BIGINT NOT NULL DEFAULT 0,
    "inputTokens" BIGINT NOT NULL DEFAULT 0,
    "outputTokens" BIGINT NOT NULL DEFAULT 0,
    "storageBytes" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "usage_counter_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "usage_counter_tenantId_periodStart_idx" ON "usage_counter"("tenantId", "periodStart" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "usage_counter_tenantId_granularity_periodStart_key" ON "usage_counter"("tenantId", "granularity", "periodStart");
