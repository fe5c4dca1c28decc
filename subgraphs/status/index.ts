import type { DomainModule } from '../kernel/domain.js';
import { statusRest } from './rest.js';
import { schema } from './schema.js';
import { statusScopes } from './scopes.js';
import { startNoticeWorkers } from './subscriptions/notice.job.js';

export const statusSubgraph: DomainModule<keyof typeof statusScopes> = {
  name: 'status',
  schema,
  scopes: statusScopes,
  rest: statusRest,
  start: startNoticeWorkers,
};
