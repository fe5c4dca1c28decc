import { filterSchema, MapperKind, mapSchema } from '@graphql-tools/utils';
import { GraphQLEnumType, type GraphQLSchema, isEnumType } from 'graphql';
import { subgraphs } from '../subgraphs/registry.js';
import { ignoredFields, type RestRoute, routes as routeTable } from './routes/index.js';

/**
 * The legacy REST string of every GraphQL enum value, per enum: a subgraph's enum keeps the legacy
 * string as the value's internal value (`ACTIVE` → `"active"`), which the supergraph does not carry.
 */
const legacyValues = new Map<string, Map<string, unknown>>();
for (const subgraph of subgraphs) {
  for (const type of Object.values(subgraph.schema.getTypeMap())) {
    if (isEnumType(type) && !type.name.startsWith('__')) {
      const values = legacyValues.get(type.name) ?? new Map<string, unknown>();
      for (const value of type.getValues()) {
        values.set(value.name, value.value);
      }
      legacyValues.set(type.name, values);
    }
  }
}

const withLegacy = new WeakMap<GraphQLSchema, GraphQLSchema>();

/**
 * The schema with each enum value's internal value set to its legacy REST string, so REST casing
 * and the OpenAPI document speak the legacy strings while GraphQL clients see enum names.
 */
export function legacyEnumSchema(schema: GraphQLSchema): GraphQLSchema {
  const known = withLegacy.get(schema);
  if (known) {
    return known;
  }
  const mapped = mapSchema(schema, {
    [MapperKind.ENUM_TYPE]: (type) => {
      const legacy = legacyValues.get(type.name);
      if (!legacy) {
        return type;
      }
      const config = type.toConfig();
      const values = Object.fromEntries(
        Object.entries(config.values).map(([name, value]) => [
          name,
          { ...value, value: legacy.has(name) ? legacy.get(name) : name },
        ]),
      );
      return new GraphQLEnumType({ ...config, values });
    },
  });
  withLegacy.set(schema, mapped);
  return mapped;
}

/**
 * The API schema cut down to the REST surface: only root fields in the route table, and without
 * fields the REST face leaves out; enums carry their legacy strings. sofa builds one route per
 * remaining root field, so the REST surface equals the table exactly.
 */
export function restSchema(
  apiSchema: GraphQLSchema,
  routes: readonly RestRoute[] = routeTable,
): GraphQLSchema {
  const allowed = new Set<string>(routes.map((r) => r.field));
  const ignored = new Set(ignoredFields);
  return legacyEnumSchema(
    filterSchema({
      schema: apiSchema,
      rootFieldFilter: (operation, fieldName) => allowed.has(`${operation}.${fieldName}`),
      objectFieldFilter: (typeName, fieldName) => !ignored.has(`${typeName}.${fieldName}`),
    }),
  );
}
