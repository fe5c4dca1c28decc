-- CreateTable
CREATE TABLE "status_incident" (
    "id" UUID NOT NULL,
    "service" TEXT NOT NULL,
    "impact" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "resolvedAt" TIMESTAMPTZ(3),
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "status_incident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "status_subscription" (
    "id" UUID NOT NULL,
    "channel" TEXT NOT NULL,
    "targetSealed" TEXT NOT NULL,
    "targetHash" TEXT NOT NULL,
    "targetMasked" TEXT NOT NULL,
    "severityFilter" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "tenantId" UUID,
    "createdBy" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "verifyTokenHash" TEXT,
    "verifyExpiresAt" TIMESTAMPTZ(3),
    "unsubscribeTokenHash" TEXT,
    "webhookSecretSealed" TEXT,
    "revokedReason" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "status_subscription_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "status_incident_occurredAt_idx" ON "status_incident"("occurredAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "status_subscription_verifyTokenHash_key" ON "status_subscription"("verifyTokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "status_subscription_unsubscribeTokenHash_key" ON "status_subscription"("unsubscribeTokenHash");

-- CreateIndex
CREATE INDEX "status_subscription_channel_targetHash_idx" ON "status_subscription"("channel", "targetHash");

-- CreateIndex
CREATE INDEX "status_subscription_status_tenantId_idx" ON "status_subscription"("status", "tenantId");
