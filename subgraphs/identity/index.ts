import type { SubgraphModule } from '../kernel/serve-subgraph.js';
import { schema } from './schema.js';

export const identitySubgraph: SubgraphModule = { name: 'identity', schema };
