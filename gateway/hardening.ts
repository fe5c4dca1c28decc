import {
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLObjectType,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

/** Assumed size of a list whose size the query does not bound with a literal `limit`. */
const DEFAULT_LIST_SIZE = 20;

function limitArgument(field: FieldNode): number | null {
  const arg = field.arguments?.find((a) => a.name.value === 'limit');
  return arg?.value.kind === Kind.INT ? Number(arg.value.value) : null;
}

/**
 * One pass over each operation: depth, alias count and a cost estimate where a list field multiplies
 * the cost of its selection by its `limit` (or a default). Rejects with GRAPHQL_VALIDATION_FAILED.
 */
export function queryLimitsRule(limits: Limits) {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    const measure = (
      selectionSet: SelectionSetNode,
      type: GraphQLObjectType | null,
      depth: number,
      seen: Set<string>,
      acc: { depth: number; aliases: number },
    ): number => {
      acc.depth = Math.max(acc.depth, depth);
      let cost = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.alias) {
            acc.aliases++;
          }
          const def = type?.getFields()[selection.name.value];
          let childCost = 0;
          if (selection.selectionSet) {
            const named = def ? getNamedType(def.type) : null;
            const childType = named && isObjectType(named) ? named : null;
            childCost = measure(selection.selectionSet, childType, depth + 1, seen, acc);
          }
          const isList = def ? isListType(getNullableType(def.type)) : false;
          cost += 1 + (isList ? (limitArgument(selection) ?? DEFAULT_LIST_SIZE) : 1) * childCost;
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const cond = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
          cost += measure(selection.selectionSet, cond && isObjectType(cond) ? cond : type, depth, seen, acc);
        } else {
          const name = selection.name.value;
          const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
          if (fragment && !seen.has(name)) {
            const cond = schema.getType(fragment.typeCondition.name.value);
            const next = new Set(seen).add(name);
            cost += measure(
              fragment.selectionSet,
              cond && isObjectType(cond)
                ? cond
                : cond && (isInterfaceType(cond) || isCompositeType(cond))
                  ? null
                  : type,
              depth,
              next,
              acc,
            );
          }
        }
      }
      return cost;
    };
    return {
      OperationDefinition(node) {
        const root =
          node.operation === 'query'
            ? schema.getQueryType()
            : node.operation === 'mutation'
              ? schema.getMutationType()
              : schema.getSubscriptionType();
        const acc = { depth: 0, aliases: 0 };
        const cost = measure(node.selectionSet, root ?? null, 1, new Set(), acc);
        const problems: string[] = [];
        if (acc.depth > limits.maxDepth) {
          problems.push(`Query depth ${acc.depth} exceeds the limit of ${limits.maxDepth}.`);
        }
        if (acc.aliases > limits.maxAliases) {
          problems.push(`Query uses ${acc.aliases} aliases; the limit is ${limits.maxAliases}.`);
        }
        if (cost > limits.maxCost) {
          problems.push(`Query cost ${cost} exceeds the limit of ${limits.maxCost}.`);
        }
        for (const message of problems) {
          context.reportError(
            new GraphQLError(message, { nodes: [node], extensions: { code: 'QUERY_TOO_COMPLEX' } }),
          );
        }
      },
    };
  };
}
