import type { DomainModule } from '../kernel/domain.js';
import { activityRest } from './rest.js';
import { schema } from './schema.js';
import { activityScopes } from './scopes.js';

export const activitySubgraph: DomainModule<keyof typeof activityScopes> = {
  name: 'activity',
  schema,
  scopes: activityScopes,
  rest: activityRest,
};
