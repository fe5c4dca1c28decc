import type { DomainModule } from '../kernel/domain.js';
import { conversationsRest } from './rest.js';
import { schema } from './schema.js';
import { conversationScopes } from './scopes.js';

export const conversationsSubgraph: DomainModule<keyof typeof conversationScopes> = {
  name: 'conversations',
  schema,
  scopes: conversationScopes,
  rest: conversationsRest,
};
