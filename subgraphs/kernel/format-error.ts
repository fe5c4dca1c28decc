import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DATABASE_UNAVAILABLE, isDatabaseUnavailable } from './db.js';
import { AppError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * The single translation point from thrown errors to GraphQL errors: an AppError keeps its message
 * and becomes `extensions.code`; GraphQL's own coded errors pass; a database that is down or restarting
 * is SERVICE_UNAVAILABLE (503: the client may retry); anything else is logged and masked.
 */
export function formatSubgraphError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof AppError) {
      return {
        message: original.message,
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: {
          code: original.code,
          ...(original.details === undefined ? {} : { details: original.details }),
        },
      };
    }
    if (isDatabaseUnavailable(original)) {
      log.warn({ err: original }, 'database unavailable');
      return {
        message: DATABASE_UNAVAILABLE,
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      };
    }
    if (
      original instanceof GraphQLError &&
      !(original.originalError && !(original.originalError instanceof GraphQLError))
    ) {
      const code = formatted.extensions?.code;
      if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
        return formatted;
      }
      if (!code) {
        return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT' } };
      }
    }
    log.error({ err: original }, 'unexpected error');
    return {
      message: 'Internal server error.',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
