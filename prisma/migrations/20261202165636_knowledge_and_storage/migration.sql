-- CreateTable
CREATE TABLE "job" (
    "id" UUID NOT NULL,
    "queue" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "tenantId" UUID,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 3,
    "runAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedBy" TEXT,
    "lockedUntil" TIMESTAMPTZ(3),
    "lastError" TEXT,
    "doneAt" TIMESTAMPTZ(3),
    "failedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "knowledge_file" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "filename" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "checksumSha256" TEXT NOT NULL,
    "blobKey" TEXT NOT NULL,
    "storageObjectId" UUID,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "status" TEXT NOT NULL DEFAULT 'uploaded',
    "error" TEXT,
    "chunking" JSONB,
    "ingestVersion" INTEGER NOT NULL DEFAULT 0,
    "chunkCount" INTEGER NOT NULL DEFAULT 0,
    "tokenCount" INTEGER NOT NULL DEFAULT 0,
    "embeddingModel" TEXT,
    "createdByUserId" UUID,
    "apiKeyId" UUID,
    "ingestedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "knowledge_file_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "knowledge_chunk" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "fileId" UUID NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "tokenCount" INTEGER NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "embedding" vector(384),
    "textTsv" tsvector GENERATED ALWAYS AS (to_tsvector('english', "text")) STORED,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "knowledge_chunk_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "knowledge_embedding_space" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "model" TEXT NOT NULL,
    "dimensions" INTEGER NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "knowledge_embedding_space_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_knowledge_file" (
    "tenantId" UUID NOT NULL,
    "agentId" UUID NOT NULL,
    "fileId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_knowledge_file_pkey" PRIMARY KEY ("agentId","fileId")
);

-- CreateTable
CREATE TABLE "vector_store" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "ownerUserId" UUID,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "expiresAfter" JSONB,
    "expiresAt" TIMESTAMPTZ(3),
    "lastActiveAt" TIMESTAMPTZ(3),
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "vector_store_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vector_store_file" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "vectorStoreId" UUID NOT NULL,
    "fileId" UUID NOT NULL,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "chunkingStrategy" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "vector_store_file_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_vector_store" (
    "tenantId" UUID NOT NULL,
    "agentKey" TEXT NOT NULL,
    "vectorStoreId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_vector_store_pkey" PRIMARY KEY ("tenantId","agentKey")
);

-- CreateTable
CREATE TABLE "storage_object" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "bucket" TEXT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "checksumSha256" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending_upload',
    "statusReason" TEXT,
    "createdByUserId" UUID,
    "apiKeyId" UUID,
    "agentKey" TEXT,
    "conversationId" UUID,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "uploadedAt" TIMESTAMPTZ(3),
    "deletedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "storage_object_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "job_queue_runAt_idx" ON "job"("queue", "runAt");

-- CreateIndex
CREATE INDEX "knowledge_file_tenantId_createdAt_id_idx" ON "knowledge_file"("tenantId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "knowledge_file_tenantId_storageObjectId_key" ON "knowledge_file"("tenantId", "storageObjectId");

-- CreateIndex
CREATE INDEX "knowledge_chunk_tenantId_fileId_idx" ON "knowledge_chunk"("tenantId", "fileId");

-- CreateIndex
CREATE INDEX "knowledge_chunk_textTsv_idx" ON "knowledge_chunk" USING GIN ("textTsv");

-- CreateIndex
CREATE UNIQUE INDEX "knowledge_chunk_fileId_ordinal_key" ON "knowledge_chunk"("fileId", "ordinal");

-- CreateIndex
CREATE INDEX "agent_knowledge_file_tenantId_agentId_idx" ON "agent_knowledge_file"("tenantId", "agentId");

-- CreateIndex
CREATE INDEX "agent_knowledge_file_fileId_idx" ON "agent_knowledge_file"("fileId");

-- CreateIndex
CREATE INDEX "vector_store_tenantId_createdAt_idx" ON "vector_store"("tenantId", "createdAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "vector_store_tenantId_name_key" ON "vector_store"("tenantId", "name");

-- CreateIndex
CREATE INDEX "vector_store_file_tenantId_idx" ON "vector_store_file"("tenantId");

-- CreateIndex
CREATE INDEX "vector_store_file_fileId_idx" ON "vector_store_file"("fileId");

-- CreateIndex
CREATE UNIQUE INDEX "vector_store_file_vectorStoreId_fileId_key" ON "vector_store_file"("vectorStoreId", "fileId");

-- CreateIndex
CREATE INDEX "agent_vector_store_vectorStoreId_idx" ON "agent_vector_store"("vectorStoreId");

-- CreateIndex
CREATE INDEX "storage_object_tenantId_createdAt_id_idx" ON "storage_object"("tenantId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "storage_object_bucket_objectKey_key" ON "storage_object"("bucket", "objectKey");

-- AddForeignKey
ALTER TABLE "knowledge_chunk" ADD CONSTRAINT "knowledge_chunk_fileId_fkey" FOREIGN KEY ("fileId") REFERENCES "knowledge_file"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_knowledge_file" ADD CONSTRAINT "agent_knowledge_file_fileId_fkey" FOREIGN KEY ("fileId") REFERENCES "knowledge_file"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vector_store_file" ADD CONSTRAINT "vector_store_file_vectorStoreId_fkey" FOREIGN KEY ("vectorStoreId") REFERENCES "vector_store"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vector_store_file" ADD CONSTRAINT "vector_store_file_fileId_fkey" FOREIGN KEY ("fileId") REFERENCES "knowledge_file"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_vector_store" ADD CONSTRAINT "agent_vector_store_vectorStoreId_fkey" FOREIGN KEY ("vectorStoreId") REFERENCES "vector_store"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Chunk vectors (written by hand: Prisma has no vector index type). Cosine distance, the HNSW
-- defaults. Tenant-filtered searches set hnsw.iterative_scan so a small tenant still gets k rows.
CREATE INDEX "knowledge_chunk_embedding_hnsw_idx" ON "knowledge_chunk" USING hnsw ("embedding" vector_cosine_ops);

-- Claiming a job looks only at unfinished ones.
CREATE INDEX "job_claim_idx" ON "job" ("queue", "runAt") WHERE "doneAt" IS NULL AND "failedAt" IS NULL;
