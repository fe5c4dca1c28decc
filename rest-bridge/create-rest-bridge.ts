import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { Response } from 'fets';
import {
  type DocumentNode,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isNonNullType,
} from 'graphql';
import { useSofa } from 'sofa-api';
import type { GatewayContext } from '../gateway/context.js';
import { clientAddress, gatewayContextFromHeaders } from '../gateway/request-context.js';
import type { SubscriptionBridge } from '../gateway/subscription-bridge.js';
import type { Config } from '../subgraphs/kernel/config.js';
import { Casing, toCamel, toSnake } from './casing.js';
import { envelope, errorResponse } from './errors.js';
import { compilePath, matchPath, type PathPattern } from './path-pattern.js';
import { fieldAliases, type RestRoute, routes } from './routes/index.js';
import { restSchema } from './schema.js';
import { matchStream } from './streams/index.js';

const MAX_BODY_BYTES = 1024 * 1024;

interface CompiledRoute {
  route: RestRoute;
  path: PathPattern;
  field: GraphQLField<unknown, unknown>;
}

function compile(route: RestRoute, schema: GraphQLSchema): CompiledRoute {
  const [rootName, fieldName] = route.field.split('.') as ['Query' | 'Mutation', string];
  const root = rootName === 'Query' ? schema.getQueryType() : schema.getMutationType();
  const field = root?.getFields()[fieldName];
  if (!field) {
    throw new Error(`route ${route.method} ${route.path}: no field ${route.field} in the schema`);
  }
  return { route, field, path: compilePath(route.path) };
}

/** sofa's path for a route: the same path with `:argName` params. */
const sofaPath = (path: string) =>
  path.replace(/^\/api/, '').replace(/\{([a-z_]+)\}/g, (_m, n: string) => `:${toCamel(n)}`);

export interface RestBridgeOptions {
  apollo: ApolloServer<GatewayContext>;
  subscriptions: SubscriptionBridge;
  config: Config;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (status === 204) {
    res.writeHead(204, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A 422 in the contract's validation envelope for a problem the bridge finds itself. */
function sendInvalid(res: ServerResponse, loc: string[], msg: string, type: string) {
  sendError(res, 422, envelope(422, 'Request validation failed.', [{ loc, msg, type }]));
}

function sendError(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  sendJson(res, status, body, { ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}), ...headers });
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      return 'too-large';
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Query strings carry text: check it reads as the argument's scalar before sofa coerces it (sofa
 * would read `include_revoked=maybe` as false). Null when acceptable.
 */
function queryValueProblem(type: GraphQLInputType, value: string): string | null {
  const named = getNamedType(type);
  if (named.name === 'Boolean' && value !== 'true' && value !== 'false') {
    return 'Input should be a valid boolean (true or false).';
  }
  if (named.name === 'Int' && !/^-?\d{1,10}$/.test(value)) {
    return 'Input should be a valid integer.';
  }
  if (named.name === 'Float' && !Number.isFinite(Number(value))) {
    return 'Input should be a valid number.';
  }
  if (isEnumType(named) && !named.getValues().some((v) => v.value === value)) {
    return `Input should be ${named
      .getValues()
      .map((v) => `'${String(v.value)}'`)
      .join(', ')}.`;
  }
  return null;
}

/** Where each GraphQL argument of a request came from: a path parameter, the query string or the body. */
type ArgumentOrigin = Record<string, 'path' | 'query' | 'body' | 'input'>;

/**
 * A validation detail's `loc` as the REST client sent it. Subgraphs name the GraphQL argument path
 * (`['input', 'acceptTerms']`, `['sessionId']`, `['limit']`); REST clients map `loc` to their fields
 * (`['body', 'accept_terms']`, `['path', 'session_id']`, `['query', 'limit']`). A `loc` that already
 * starts with a REST origin is kept.
 */
function restLoc(loc: unknown, origin: ArgumentOrigin): unknown {
  if (!Array.isArray(loc) || typeof loc[0] !== 'string' || ['body', 'query', 'path'].includes(loc[0])) {
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

function withRestLocs(body: unknown, origin: ArgumentOrigin): unknown {
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

/** The legacy success envelope around a result. */
function wrap(spec: NonNullable<RestRoute['envelope']>, data: unknown) {
  let message = spec.message;
  let payload = data;
  if (spec.messageField && data && typeof data === 'object') {
    const { [spec.messageField]: fromResult, ...rest } = data as Record<string, unknown>;
    message = typeof fromResult === 'string' ? fromResult : message;
    payload = rest;
  }
  return { success: true, message, data: spec.data === 'none' ? null : payload };
}

/** Errors sofa raises before execution (unparsable variables) carry no code: they are input errors. */
function withCodes(errors: readonly GraphQLFormattedError[]): GraphQLFormattedError[] {
  return errors.map((e) =>
    e.extensions?.code ? e : { message: e.message, extensions: { ...e.extensions, code: 'BAD_USER_INPUT' } },
  );
}

/**
 * The REST face: every route of the table becomes the GraphQL operation sofa builds for its field,
 * executed in process through the gateway. The bridge owns routing, casing, envelopes, status
 * codes and SSE framing; every rule lives in the subgraphs.
 */
export function createRestBridge(options: RestBridgeOptions): NodeHandler {
  const apiSchema = options.subscriptions.apiSchema;
  const schema = restSchema(apiSchema);
  const casing = new Casing(schema, fieldAliases);
  const compiled = routes.map((r) => compile(r, schema));
  const sofa = useSofa({
    basePath: '/api',
    schema,
    routes: Object.fromEntries(
      routes.map((r) => [
        r.field,
        {
          method: r.method,
          path: sofaPath(r.path),
          responseStatus: 200,
          tags: r.tags,
          description: r.summary,
        },
      ]),
    ),
    context: ({ request }) => gatewayContextFromHeaders(request.headers),
    execute: (async (args: {
      document: DocumentNode;
      variableValues?: Record<string, unknown>;
      contextValue: GatewayContext;
      operationName?: string;
    }) => {
      const response = await options.apollo.executeOperation(
        {
          query: args.document,
          variables: args.variableValues ?? {},
          ...(args.operationName ? { operationName: args.operationName } : {}),
        },
        { contextValue: args.contextValue },
      );
      return response.body.kind === 'single'
        ? response.body.singleResult
        : { errors: [{ message: 'Incremental delivery is not supported.' }] };
    }) as never,
    errorHandler: (errors) => {
      const { status, body, headers } = errorResponse(
        withCodes(errors.map((e) => (typeof e?.toJSON === 'function' ? e.toJSON() : e))),
      );
      return Response.json(body, { status: status as 400, headers });
    },
  });

  return (req, res, next) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://bridge.local');
      const stream = matchStream(req.method ?? 'GET', url.pathname);
      if (stream) {
        await stream.handle(req, res, { ...options, url });
        return;
      }
      const match = compiled
        .map((c) => ({ c, params: c.route.method === req.method ? matchPath(c.path, url.pathname) : null }))
        .find((m) => m.params !== null);
      if (!match?.params) {
        const pathExists = compiled.some((c) => matchPath(c.path, url.pathname) !== null);
        if (!url.pathname.startsWith('/api/')) {
          next();
          return;
        }
        sendError(
          res,
          pathExists ? 405 : 404,
          envelope(pathExists ? 405 : 404, pathExists ? 'Method Not Allowed' : 'Not Found'),
        );
        return;
      }
      const { c } = match;
      const variables: Record<string, unknown> = Object.fromEntries(
        Object.entries(match.params).map(([name, value]) => [toCamel(name), value]),
      );
      const origin: ArgumentOrigin = Object.fromEntries(Object.keys(variables).map((name) => [name, 'path']));
      const query = new URLSearchParams();
      for (const arg of c.field.args) {
        const value = url.searchParams.get(toSnake(arg.name)) ?? url.searchParams.get(arg.name);
        if (value !== null && !(arg.name in variables)) {
          const problem = queryValueProblem(arg.type, value);
          if (problem) {
            sendInvalid(res, ['query', toSnake(arg.name)], problem, 'type_error');
            return;
          }
          // Enums travel as their GraphQL names (the legacy string is the REST face).
          query.set(arg.name, String(casing.input(value, arg.type)));
          origin[arg.name] = 'query';
        }
      }
      let body: Record<string, unknown> | undefined;
      if (['POST', 'PUT', 'PATCH'].includes(c.route.method)) {
        const raw = await readBody(req);
        if (raw === 'too-large') {
          sendError(res, 413, envelope(413, 'Request body too large.'));
          return;
        }
        let parsed: unknown = {};
        try {
          parsed = raw.length ? JSON.parse(raw.toString('utf8')) : {};
        } catch {
          sendInvalid(res, ['body'], 'Invalid JSON body.', 'json_invalid');
          return;
        }
        const inputArg = c.field.args.find((a) => a.name === 'input');
        if ((c.route.body ?? 'input') === 'input' && inputArg) {
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
            sendInvalid(res, ['body'], 'Body must be a JSON object.', 'model_type');
            return;
          }
          body = { input: casing.input(parsed, inputArg.type) };
          origin.input = 'input';
        } else if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          body = {};
          for (const arg of c.field.args) {
            const value = (parsed as Record<string, unknown>)[toSnake(arg.name)];
            if (value !== undefined) {
              body[arg.name] = casing.input(value, arg.type);
              origin[arg.name] = 'body';
            }
          }
        }
        // A required argument the client left out must fail as a validation error, not silently.
        for (const arg of c.field.args) {
          if (
            isNonNullType(arg.type) &&
            !(arg.name in variables) &&
            !(body && arg.name in body) &&
            !query.has(arg.name)
          ) {
            sendInvalid(res, ['body', toSnake(arg.name)], 'Field required', 'missing');
            return;
          }
        }
      }
      const sofaUrl = new URL(
        `/api${sofaPath(c.route.path).replace(/:([A-Za-z]+)/g, (_m, n: string) => encodeURIComponent(String(variables[n])))}`,
        url,
      );
      sofaUrl.search = query.toString();
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && !['content-length', 'host', 'connection'].includes(name)) {
          headers.set(name, value);
        }
      }
      headers.delete('x-bridge-client-ip');
      const client = clientAddress(req.headers, req.socket.remoteAddress, options.config.TRUST_PROXY_HOPS);
      if (client) {
        headers.set('x-bridge-client-ip', client);
      }
      headers.set('content-type', 'application/json');
      const response = await sofa.fetch(sofaUrl.toString(), {
        method: c.route.method,
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      const json = text ? (JSON.parse(text) as unknown) : null;
      if (response.status >= 400) {
        const passHeaders: Record<string, string> = {};
        const retryAfter = response.headers.get('retry-after');
        if (retryAfter) {
          passHeaders['retry-after'] = retryAfter;
        }
        sendError(
          res,
          response.status,
          response.status === 422 ? withRestLocs(json, origin) : json,
          passHeaders,
        );
        return;
      }
      const data = casing.output(json, c.field.type);
      const status = c.route.statusFor?.(data) ?? c.route.status ?? 200;
      sendJson(res, status, c.route.envelope ? wrap(c.route.envelope, data) : data);
    })().catch((error) => {
      options.apollo.logger.error(`REST bridge failure: ${(error as Error)?.stack ?? error}`);
      if (!res.headersSent) {
        sendError(res, 500, envelope(500, 'Internal server error.'));
      } else {
        res.end();
      }
    });
  };
}
