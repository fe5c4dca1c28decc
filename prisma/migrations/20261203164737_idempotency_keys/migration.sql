-- CreateTable
CREATE TABLE "idempotent_request" (
    "id" TEXT NOT NULL,
    "tenantId" UUID,
    "fingerprint" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "response" TEXT,
    "lockedUntil" TIMESTAMPTZ(3) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotent_request_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "idempotent_request_expiresAt_idx" ON "idempotent_request"("expiresAt");
