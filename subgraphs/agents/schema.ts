import { builder } from './builder.js';
import './agents/agent.graphql.js';
import './catalog/catalog.graphql.js';
import './containers/container.graphql.js';
import './bindings/binding.graphql.js';
import './guardrails/guardrail.graphql.js';
import './runtime/run-plan.graphql.js';
import './artifacts/schema.js';
import { toSubgraphSchema } from '../kernel/federation.js';

export const schema = toSubgraphSchema(builder);
