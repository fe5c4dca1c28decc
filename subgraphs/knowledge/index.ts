import type { DomainModule } from '../kernel/domain.js';
import { knowledgeRest } from './rest.js';
import { schema } from './schema.js';
import { knowledgeScopes } from './scopes.js';

export const knowledgeSubgraph: DomainModule<keyof typeof knowledgeScopes> = {
  name: 'knowledge',
  schema,
  scopes: knowledgeScopes,
  rest: knowledgeRest,
};
