-- CreateTable
CREATE TABLE "agent" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL DEFAULT 'active',
    "activeBindingId" UUID,
    "createdBy" UUID,
    "lastUsedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "agent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prompt" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdBy" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "prompt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prompt_version" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "promptId" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "template" TEXT NOT NULL,
    "variables" JSONB NOT NULL DEFAULT '[]',
    "notes" TEXT,
    "createdBy" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prompt_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tool" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdBy" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tool_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tool_version" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "toolId" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "parameters" JSONB NOT NULL DEFAULT '{}',
    "config" JSONB NOT NULL DEFAULT '{}',
    "notes" TEXT,
    "createdBy" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tool_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "runtime_config" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdBy" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "runtime_config_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "runtime_config_version" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "runtimeConfigId" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "model" TEXT NOT NULL,
    "temperature" DOUBLE PRECISION,
    "maxOutputTokens" INTEGER,
    "maxTurns" INTEGER,
    "memory" JSONB NOT NULL DEFAULT '{}',
    "guardrailPreset" TEXT,
    "voice" JSONB,
    "notes" TEXT,
    "createdBy" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "runtime_config_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_binding" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "agentId" UUID NOT NULL,
    "promptVersionId" UUID NOT NULL,
    "runtimeConfigVersionId" UUID NOT NULL,
    "notes" TEXT,
    "createdBy" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_binding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_binding_tool" (
    "bindingId" UUID NOT NULL,
    "toolVersionId" UUID NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "agent_binding_tool_pkey" PRIMARY KEY ("bindingId","toolVersionId")
);

-- CreateTable
CREATE TABLE "agent_binding_activation" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "agentId" UUID NOT NULL,
    "bindingId" UUID NOT NULL,
    "previousBindingId" UUID,
    "activatedBy" UUID,
    "activatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_binding_activation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tool_signing_secret" (
    "tenantId" UUID NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tool_signing_secret_pkey" PRIMARY KEY ("tenantId")
);

-- CreateTable
CREATE TABLE "container" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "openaiId" TEXT NOT NULL,
    "ownerUserId" UUID,
    "name" TEXT NOT NULL,
    "memoryLimit" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "expiresAfter" JSONB,
    "lastActiveAt" TIMESTAMPTZ(3),
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "deletedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "container_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_container_binding" (
    "tenantId" UUID NOT NULL,
    "agentKey" TEXT NOT NULL,
    "containerId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_container_binding_pkey" PRIMARY KEY ("tenantId","agentKey")
);

-- CreateIndex
CREATE INDEX "agent_tenantId_displayName_idx" ON "agent"("tenantId", "displayName");

-- CreateIndex
CREATE UNIQUE INDEX "agent_tenantId_key_key" ON "agent"("tenantId", "key");

-- CreateIndex
CREATE UNIQUE INDEX "prompt_tenantId_name_key" ON "prompt"("tenantId", "name");

-- CreateIndex
CREATE INDEX "prompt_version_tenantId_idx" ON "prompt_version"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "prompt_version_promptId_version_key" ON "prompt_version"("promptId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "tool_tenantId_name_key" ON "tool"("tenantId", "name");

-- CreateIndex
CREATE INDEX "tool_version_tenantId_idx" ON "tool_version"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "tool_version_toolId_version_key" ON "tool_version"("toolId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "runtime_config_tenantId_name_key" ON "runtime_config"("tenantId", "name");

-- CreateIndex
CREATE INDEX "runtime_config_version_tenantId_idx" ON "runtime_config_version"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "runtime_config_version_runtimeConfigId_version_key" ON "runtime_config_version"("runtimeConfigId", "version");

-- CreateIndex
CREATE INDEX "agent_binding_tenantId_agentId_idx" ON "agent_binding"("tenantId", "agentId");

-- CreateIndex
CREATE INDEX "agent_binding_tool_toolVersionId_idx" ON "agent_binding_tool"("toolVersionId");

-- CreateIndex
CREATE INDEX "agent_binding_activation_agentId_activatedAt_idx" ON "agent_binding_activation"("agentId", "activatedAt");

-- CreateIndex
CREATE INDEX "container_tenantId_deletedAt_idx" ON "container"("tenantId", "deletedAt");

-- AddForeignKey
ALTER TABLE "prompt_version" ADD CONSTRAINT "prompt_version_promptId_fkey" FOREIGN KEY ("promptId") REFERENCES "prompt"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tool_version" ADD CONSTRAINT "tool_version_toolId_fkey" FOREIGN KEY ("toolId") REFERENCES "tool"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runtime_config_version" ADD CONSTRAINT "runtime_config_version_runtimeConfigId_fkey" FOREIGN KEY ("runtimeConfigId") REFERENCES "runtime_config"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_binding" ADD CONSTRAINT "agent_binding_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_binding" ADD CONSTRAINT "agent_binding_promptVersionId_fkey" FOREIGN KEY ("promptVersionId") REFERENCES "prompt_version"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_binding" ADD CONSTRAINT "agent_binding_runtimeConfigVersionId_fkey" FOREIGN KEY ("runtimeConfigVersionId") REFERENCES "runtime_config_version"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_binding_tool" ADD CONSTRAINT "agent_binding_tool_bindingId_fkey" FOREIGN KEY ("bindingId") REFERENCES "agent_binding"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_binding_tool" ADD CONSTRAINT "agent_binding_tool_toolVersionId_fkey" FOREIGN KEY ("toolVersionId") REFERENCES "tool_version"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_binding_activation" ADD CONSTRAINT "agent_binding_activation_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_container_binding" ADD CONSTRAINT "agent_container_binding_containerId_fkey" FOREIGN KEY ("containerId") REFERENCES "container"("id") ON DELETE CASCADE ON UPDATE CASCADE;
