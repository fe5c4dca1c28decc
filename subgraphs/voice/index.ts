import type { DomainModule } from '../kernel/domain.js';
import { voiceRest } from './rest.js';
import { schema } from './schema.js';
import { voiceScopes } from './scopes.js';

export const voiceSubgraph: DomainModule<keyof typeof voiceScopes> = {
  name: 'voice',
  schema,
  scopes: voiceScopes,
  rest: voiceRest,
};
