import { filterSchema } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import { ignoredFields, type RestRoute, routes as routeTable } from './routes/index.js';

/**
 * The API schema cut down to the REST surface: only root fields in the route table, and without
 * fields the REST face leaves out. sofa builds one route per remaining root field, so the REST
 * surface equals the table exactly.
 */
export function restSchema(
  apiSchema: GraphQLSchema,
  routes: readonly RestRoute[] = routeTable,
): GraphQLSchema {
  const allowed = new Set<string>(routes.map((r) => r.field));
  const ignored = new Set(ignoredFields);
  return filterSchema({
    schema: apiSchema,
    rootFieldFilter: (operation, fieldName) => allowed.has(`${operation}.${fieldName}`),
    objectFieldFilter: (typeName, fieldName) => !ignored.has(`${typeName}.${fieldName}`),
  });
}
