import type { DomainModule } from '../kernel/domain.js';
import { agentsRest } from './rest.js';
import { schema } from './schema.js';
import { agentScopes } from './scopes.js';

export const agentsSubgraph: DomainModule<keyof typeof agentScopes> = {
  name: 'agents',
  schema,
  scopes: agentScopes,
  rest: agentsRest,
};
