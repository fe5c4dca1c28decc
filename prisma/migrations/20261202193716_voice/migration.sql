-- CreateTable
CREATE TABLE "voice_session" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "agentId" UUID NOT NULL,
    "agentKey" TEXT NOT NULL,
    "roomName" TEXT NOT NULL,
    "conversationId" UUID NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'created',
    "statusReason" TEXT,
    "dispatchId" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "createdByUserId" UUID,
    "apiKeyId" UUID,
    "startedAt" TIMESTAMPTZ(3),
    "agentJoinedAt" TIMESTAMPTZ(3),
    "endedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "voice_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "voice_call" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "direction" TEXT NOT NULL DEFAULT 'outbound',
    "agentId" UUID NOT NULL,
    "agentKey" TEXT NOT NULL,
    "toNumber" TEXT NOT NULL,
    "fromNumber" TEXT,
    "trunkId" TEXT,
    "mappingId" UUID,
    "roomName" TEXT NOT NULL,
    "conversationId" UUID NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'created',
    "statusReason" TEXT,
    "sipStatusCode" INTEGER,
    "sipStatus" TEXT,
    "sipCallId" TEXT,
    "participantId" TEXT,
    "participantIdentity" TEXT,
    "dispatchId" TEXT,
    "createdByUserId" UUID,
    "apiKeyId" UUID,
    "dialStartedAt" TIMESTAMPTZ(3),
    "answeredAt" TIMESTAMPTZ(3),
    "agentJoinedAt" TIMESTAMPTZ(3),
    "endedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "voice_call_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "voice_inbound_mapping" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "phoneNumber" TEXT NOT NULL,
    "agentId" UUID NOT NULL,
    "agentKey" TEXT NOT NULL,
    "trunkId" TEXT,
    "pinHash" TEXT,
    "routeKey" TEXT NOT NULL,
    "dispatchRuleId" TEXT NOT NULL,
    "inboundTrunkId" TEXT,
    "createdByUserId" UUID,
    "apiKeyId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "voice_inbound_mapping_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "voice_webhook_event" (
    "id" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "roomName" TEXT,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "voice_webhook_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "voice_session_roomName_key" ON "voice_session"("roomName");

-- CreateIndex
CREATE INDEX "voice_session_tenantId_createdAt_id_idx" ON "voice_session"("tenantId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "voice_session_status_startedAt_idx" ON "voice_session"("status", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "voice_call_roomName_key" ON "voice_call"("roomName");

-- CreateIndex
CREATE INDEX "voice_call_tenantId_createdAt_id_idx" ON "voice_call"("tenantId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "voice_call_status_dialStartedAt_idx" ON "voice_call"("status", "dialStartedAt");

-- CreateIndex
CREATE UNIQUE INDEX "voice_inbound_mapping_routeKey_key" ON "voice_inbound_mapping"("routeKey");

-- CreateIndex
CREATE INDEX "voice_inbound_mapping_tenantId_createdAt_id_idx" ON "voice_inbound_mapping"("tenantId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "voice_webhook_event_receivedAt_idx" ON "voice_webhook_event"("receivedAt");
