import type { DomainModule } from '../kernel/domain.js';
import { storageRest } from './rest.js';
import { schema } from './schema.js';
import { storageScopes } from './scopes.js';

export const storageSubgraph: DomainModule<keyof typeof storageScopes> = {
  name: 'storage',
  schema,
  scopes: storageScopes,
  rest: storageRest,
};
