import type { DomainModule } from '../kernel/domain.js';
import { identityRest } from './rest.js';
import { schema } from './schema.js';
import { identityScopes } from './scopes.js';

export const identitySubgraph: DomainModule<keyof typeof identityScopes> = {
  name: 'identity',
  schema,
  scopes: identityScopes,
  rest: identityRest,
};
