import type { DomainModule } from '../kernel/domain.js';
import { tenantsRest } from './rest.js';
import { schema } from './schema.js';
import { tenantScopes } from './scopes.js';

export const tenantsSubgraph: DomainModule<keyof typeof tenantScopes> = {
  name: 'tenants',
  schema,
  scopes: tenantScopes,
  rest: tenantsRest,
};
