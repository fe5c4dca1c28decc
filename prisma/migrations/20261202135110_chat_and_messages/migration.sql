-- AlterTable
ALTER TABLE "conversation" ADD COLUMN     "apiKeyId" UUID,
ADD COLUMN     "conversationKey" TEXT,
ADD COLUMN     "handoffCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "lastMessageAt" TIMESTAMPTZ(3),
ADD COLUMN     "memoryClearToolInputs" BOOLEAN,
ADD COLUMN     "memoryCompactKeep" INTEGER,
ADD COLUMN     "memoryCompactTriggerTurns" INTEGER,
ADD COLUMN     "memoryInjection" BOOLEAN,
ADD COLUMN     "memoryKeepLastTurns" INTEGER,
ADD COLUMN     "memoryMaxTurns" INTEGER,
ADD COLUMN     "memoryStrategy" TEXT,
ADD COLUMN     "titleGeneratedAt" TIMESTAMPTZ(3),
ALTER COLUMN "userId" DROP NOT NULL;

-- CreateTable
CREATE TABLE "conversation_message" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "agent" TEXT,
    "content" TEXT NOT NULL,
    "attachments" JSONB NOT NULL DEFAULT '[]',
    "turnId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "textTsv" tsvector GENERATED ALWAYS AS (to_tsvector('english', "content")) STORED,

    CONSTRAINT "conversation_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chat_turn" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "userId" UUID,
    "apiKeyId" UUID,
    "requestedAgent" TEXT,
    "agentKey" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "responseText" TEXT,
    "structuredOutput" JSONB,
    "errorMessage" TEXT,
    "model" TEXT,
    "provider" TEXT,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "inputTokens" INTEGER NOT NULL DEFAULT 0,
    "outputTokens" INTEGER NOT NULL DEFAULT 0,
    "totalTokens" INTEGER NOT NULL DEFAULT 0,
    "cachedInputTokens" INTEGER NOT NULL DEFAULT 0,
    "reasoningTokens" INTEGER NOT NULL DEFAULT 0,
    "cancelRequestedAt" TIMESTAMPTZ(3),
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMPTZ(3),

    CONSTRAINT "chat_turn_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation_item" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "sequenceNo" INTEGER NOT NULL,
    "turnId" UUID,
    "runItemType" TEXT NOT NULL,
    "runItemName" TEXT,
    "role" TEXT,
    "agent" TEXT,
    "toolCallId" TEXT,
    "toolName" TEXT,
    "model" TEXT,
    "contentText" TEXT,
    "reasoningText" TEXT,
    "callArguments" JSONB,
    "callOutput" JSONB,
    "attachments" JSONB NOT NULL DEFAULT '[]',
    "responseId" TEXT,
    "workflowRunId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation_summary" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "agentKey" TEXT NOT NULL,
    "summaryText" TEXT NOT NULL,
    "summaryModel" TEXT NOT NULL,
    "throughPosition" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_summary_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "conversation_message_tenantId_idx" ON "conversation_message"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "conversation_message_conversationId_position_key" ON "conversation_message"("conversationId", "position");

-- CreateIndex
CREATE INDEX "chat_turn_tenantId_startedAt_idx" ON "chat_turn"("tenantId", "startedAt" DESC);

-- CreateIndex
CREATE INDEX "chat_turn_conversationId_startedAt_idx" ON "chat_turn"("conversationId", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "conversation_item_conversationId_sequenceNo_key" ON "conversation_item"("conversationId", "sequenceNo");

-- CreateIndex
CREATE INDEX "conversation_summary_conversationId_throughPosition_idx" ON "conversation_summary"("conversationId", "throughPosition" DESC);

-- AddForeignKey
ALTER TABLE "conversation_message" ADD CONSTRAINT "conversation_message_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chat_turn" ADD CONSTRAINT "chat_turn_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation_item" ADD CONSTRAINT "conversation_item_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation_summary" ADD CONSTRAINT "conversation_summary_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Conversation search (written by hand: Prisma has no tsvector type or GIN expression here).
CREATE INDEX "conversation_message_textTsv_idx" ON "conversation_message" USING GIN ("textTsv");

-- CreateIndex
CREATE UNIQUE INDEX "conversation_tenantId_conversationKey_key" ON "conversation"("tenantId", "conversationKey");
