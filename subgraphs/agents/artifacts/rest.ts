import type { RestRoute } from '../../../rest-bridge/routes/types.js';
import { promptIgnored, promptRoutes } from '../prompts/rest.js';
import { runtimeConfigIgnored, runtimeConfigRoutes } from '../runtime-configs/rest.js';
import { toolIgnored, toolRoutes } from '../tools/rest.js';

/** The REST rows of prompts, tools and runtime configs (21, plus the tool signing secret). */
export const artifactRoutes: RestRoute[] = [...promptRoutes, ...toolRoutes, ...runtimeConfigRoutes];

/** Fields of these modules the REST face leaves out (the GraphQL-only version history). */
export const artifactIgnored: string[] = [...promptIgnored, ...toolIgnored, ...runtimeConfigIgnored];
