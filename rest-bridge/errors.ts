import type { GraphQLFormattedError } from 'graphql';
import { toSnake } from './casing.js';

/** The one table from `extensions.code` to HTTP status. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  GRAPHQL_PARSE_FAILED: 400,
  QUERY_TOO_COMPLEX: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  FEATURE_DISABLED: 404,
  CONFLICT: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  VALIDATION_FAILED: 422,
  BAD_USER_INPUT: 422,
  GRAPHQL_VALIDATION_FAILED: 422,
  LOCKED: 423,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
};

/** The legacy `error` names per status. */
const ERROR_NAME: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'PayloadTooLarge',
  422: 'ValidationError',
  423: 'Locked',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
};

export interface ErrorEnvelope {
  success: false;
  error: string;
  message: string;
  details: unknown;
}

export function envelope(status: number, message: string, details: unknown = null): ErrorEnvelope {
  return { success: false, error: ERROR_NAME[status] ?? 'HTTPException', message, details };
}

/** Picks the status of a failed operation (the most specific error wins) and builds the envelope. */
export function errorResponse(errors: readonly GraphQLFormattedError[]): {
  status: number;
  body: ErrorEnvelope;
  headers: Record<string, string>;
} {
  const result = envelopeFor(errors);
  const headers: Record<string, string> = {};
  if (result.status === 401) {
    headers['www-authenticate'] = 'Bearer';
  }
  const retryAfter = (result.body.details as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
  if (result.status === 429 && typeof retryAfter === 'number') {
    headers['retry-after'] = String(retryAfter);
  }
  return { ...result, headers };
}

function envelopeFor(errors: readonly GraphQLFormattedError[]): { status: number; body: ErrorEnvelope } {
  const statuses = errors.map(
    (e) => STATUS_BY_CODE[String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')] ?? 500,
  );
  const index = statuses.findIndex((s) => s < 500);
  const pick = Math.max(index, 0);
  const status = statuses[pick] ?? 500;
  const first = errors[pick];
  if (status === 422) {
    const details = errors.flatMap((e) =>
      Array.isArray(e.extensions?.details)
        ? (e.extensions.details as unknown[])
        : [{ loc: ['body'], msg: e.message, type: 'value_error' }],
    );
    return { status, body: envelope(422, 'Request validation failed.', details) };
  }
  if (status >= 500) {
    return {
      status,
      body: envelope(
        status,
        status === 500 ? 'Internal server error.' : (first?.message ?? 'Service unavailable.'),
      ),
    };
  }
  return {
    status,
    body: envelope(status, first?.message ?? 'Request failed.', first?.extensions?.details ?? null),
  };
}

/** Where each GraphQL argument of a request came from: a path parameter, the query string, a body key, or the whole body (`input`). */
export type ArgumentOrigin = Record<string, 'path' | 'query' | 'body' | 'input'>;

/**
 * A validation detail's `loc` as the REST client sent it. Subgraphs name the GraphQL argument path
 * (`['input', 'acceptTerms']`, `['sessionId']`, `['limit']`); REST clients map `loc` to their fields
 * (`['body', 'accept_terms']`, `['path', 'session_id']`, `['query', 'limit']`). A `loc` that already
 * starts with a REST origin is kept.
 */
export function restLoc(loc: unknown, origin: ArgumentOrigin): unknown {
  if (
    !Array.isArray(loc) ||
    typeof loc[0] !== 'string' ||
    ['body', 'query', 'path', 'header'].includes(loc[0])
  ) {
    return loc;
  }
  const [argument, ...rest] = loc as [string, ...(string | number)[]];
  const from = origin[argument];
  if (!from) {
    return loc;
  }
  const tail = rest.map((p) => (typeof p === 'string' ? toSnake(p) : p));
  return from === 'input' ? ['body', ...tail] : [from, toSnake(argument), ...tail];
}

/** The 422 envelope with every detail's `loc` in REST form. */
export function withRestLocs(body: unknown, origin: ArgumentOrigin): unknown {
  const details = (body as { details?: unknown } | null)?.details;
  if (!Array.isArray(details)) {
    return body;
  }
  return {
    ...(body as object),
    details: details.map((d) =>
      d && typeof d === 'object' && 'loc' in d
        ? { ...d, loc: restLoc((d as { loc: unknown }).loc, origin) }
        : d,
    ),
  };
}
