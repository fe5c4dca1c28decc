/**
 * The GraphQL types of prompts, tools and runtime configs that other agents modules (bindings) put
 * on their own types. GraphQL-only: services import the loaders (`loadPromptVersion` …) from the
 * service modules, so no service pulls a resolver module in before `schema.ts` orders them.
 */
export { PromptRef, PromptVersionRef } from '../prompts/prompt.graphql.js';
export { RuntimeConfigRef, RuntimeConfigVersionRef } from '../runtime-configs/runtime-config.graphql.js';
export { ToolRef, ToolVersionRef } from '../tools/tool.graphql.js';
