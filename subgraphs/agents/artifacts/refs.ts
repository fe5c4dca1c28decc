/**
 * What other modules of agents (bindings) use from prompts, tools and runtime configs: the
 * GraphQL types of the versions, and the batched loaders of a tenant's versions by id (null when
 * absent or another tenant's), e.g. `Binding.promptVersion: t.field({ type: PromptVersionRef,
 * resolve: (b, _a, ctx) => loadPromptVersion(ctx, b.tenantId, b.promptVersionId) })`.
 */
export { PromptRef, PromptVersionRef } from '../prompts/prompt.graphql.js';
export { loadPromptVersion } from '../prompts/prompt.service.js';
export { RuntimeConfigRef, RuntimeConfigVersionRef } from '../runtime-configs/runtime-config.graphql.js';
export { loadRuntimeConfigVersion } from '../runtime-configs/runtime-config.service.js';
export { signToolRequest, verifyToolSignature } from '../tools/signing.js';
export { ToolRef, ToolVersionRef } from '../tools/tool.graphql.js';
export { loadToolVersion } from '../tools/tool.service.js';
