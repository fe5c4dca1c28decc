-- CreateTable
CREATE TABLE "activity_event_receipt" (
    "tenantId" UUID NOT NULL,
    "reader" TEXT NOT NULL,
    "eventId" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "activity_event_receipt_pkey" PRIMARY KEY ("tenantId","reader","eventId")
);

-- CreateTable
CREATE TABLE "activity_last_seen" (
    "tenantId" UUID NOT NULL,
    "reader" TEXT NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "lastSeenEventId" UUID,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "activity_last_seen_pkey" PRIMARY KEY ("tenantId","reader")
);

-- CreateTable
CREATE TABLE "activity_event" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "actorId" TEXT,
    "actorType" TEXT,
    "actorRole" TEXT,
    "objectType" TEXT,
    "objectId" TEXT,
    "objectName" TEXT,
    "status" TEXT NOT NULL,
    "source" TEXT,
    "requestId" TEXT,
    "ipHash" TEXT,
    "userAgent" TEXT,
    "metadata" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "activity_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "activity_event_receipt_eventId_idx" ON "activity_event_receipt"("eventId");

-- CreateIndex
CREATE INDEX "activity_event_tenantId_createdAt_id_idx" ON "activity_event"("tenantId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "activity_event_createdAt_idx" ON "activity_event"("createdAt");

-- AddForeignKey
ALTER TABLE "activity_event_receipt" ADD CONSTRAINT "activity_event_receipt_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "activity_event"("id") ON DELETE CASCADE ON UPDATE CASCADE;
