import type { DomainModule } from '../kernel/domain.js';
import { platformRest } from './rest.js';
import { schema } from './schema.js';
import { platformScopes } from './scopes.js';

export const platformSubgraph: DomainModule<keyof typeof platformScopes> = {
  name: 'platform',
  schema,
  scopes: platformScopes,
  rest: platformRest,
};
