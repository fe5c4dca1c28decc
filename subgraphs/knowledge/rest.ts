import type { RestSurface } from '../../rest-bridge/routes/types.js';
import { vectorStoreAliases, vectorStoreIgnored, vectorStoreRoutes } from './vector-stores/rest.js';

/** The REST face of knowledge: each module's rows (see rest-bridge/routes/types.ts). */
export const knowledgeRest: RestSurface = {
  routes: [...vectorStoreRoutes],
  aliases: { ...vectorStoreAliases },
  ignored: [...vectorStoreIgnored],
};
