import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { buildOperationNodeForField } from '@graphql-tools/utils';
import {
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLSchema,
  Kind,
  OperationTypeNode,
  print,
} from 'graphql';
import { createSofa } from 'sofa-api';
import type { GatewayContext } from '../gateway/context.js';
import { trusted } from '../gateway/hardening.js';
import { gatewayContextFromHeaders } from '../gateway/request-context.js';
import type { SubscriptionBridge } from '../gateway/subscription-bridge.js';
import type { Config } from '../subgraphs/kernel/config.js';
import { Casing, toCamel, toSnake } from './casing.js';
import { type DownloadResult, sendDownload } from './download.js';
import { type ArgumentOrigin, envelope, errorResponse, withRestLocs } from './errors.js';
import { argumentProblems, fromText, type Problem, problemFromGraphQLError } from './input-problems.js';
import { isMultipart, parseMultipart } from './multipart.js';
import { Router } from './router.js';
import { credentialFields, fieldAliases, type RestRoute, routes as routeTable } from './routes/index.js';
import { restSchema } from './schema.js';
import { type StreamRoute, streamRoutes as streamTable } from './streams/index.js';

/** Default JSON body limit of a route (`RestRoute.maxBodyBytes` raises it, e.g. for uploads). */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** A route of the table with its field and the operation the bridge runs for it. */
interface OperationRoute {
  kind: 'operation';
  route: RestRoute;
  field: GraphQLField<unknown, unknown>;
  fieldName: string;
  /** The operation's text, printed once at boot: Apollo prints a DocumentNode on every execution. */
  query: string;
  operationName: string;
}

type Target = OperationRoute | { kind: 'stream'; stream: StreamRoute };

export interface RestBridgeOptions {
  apollo: ApolloServer<GatewayContext>;
  subscriptions: SubscriptionBridge;
  config: Config;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * The operation for a route: the one sofa generates for its field (sofa's models and depth, via the
 * same builder), built once per route, so one field can serve several paths.
 */
export function compileOperations(schema: GraphQLSchema, routes: readonly RestRoute[]): OperationRoute[] {
  const sofa = createSofa({ schema, basePath: '/api' });
  return routes.map((route) => {
    const [rootName, fieldName] = route.field.split('.') as ['Query' | 'Mutation', string];
    const root = rootName === 'Query' ? schema.getQueryType() : schema.getMutationType();
    const field = root?.getFields()[fieldName];
    if (!field) {
      throw new Error(`route ${route.method} ${route.path}: no field ${route.field} in the schema`);
    }
    for (const param of route.path.matchAll(/\{([a-z0-9_]+)\}/g)) {
      if (!field.args.some((a) => a.name === toCamel(param[1] as string))) {
        throw new Error(
          `route ${route.method} ${route.path}: ${route.field} has no argument for {${param[1]}}`,
        );
      }
    }
    const operation = buildOperationNodeForField({
      schema,
      kind: rootName === 'Query' ? OperationTypeNode.QUERY : OperationTypeNode.MUTATION,
      field: fieldName,
      models: sofa.models,
      ignore: sofa.ignore,
      circularReferenceDepth: sofa.depthLimit,
    });
    return {
      kind: 'operation',
      route,
      field,
      fieldName,
      query: print({ kind: Kind.DOCUMENT, definitions: [operation] }),
      operationName: operation.name?.value ?? fieldName,
    };
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (status === 204) {
    res.writeHead(204, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  sendJson(res, status, body, { ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}), ...headers });
}

/** A 422 in the contract's validation envelope, `loc`s in REST form. */
function sendProblems(res: ServerResponse, problems: readonly Problem[], origin: ArgumentOrigin) {
  sendError(res, 422, withRestLocs(envelope(422, 'Request validation failed.', problems), origin));
}

/** Asks whether the request's credential is valid (`me` needs any valid one): its 401, or null. */
const CREDENTIAL_PROBE = 'query CredentialProbe { me { __typename } }';

async function credentialRefusal(
  req: IncomingMessage,
  options: RestBridgeOptions,
): Promise<GraphQLFormattedError | null> {
  const response = await options.apollo.executeOperation(
    { query: CREDENTIAL_PROBE, operationName: 'CredentialProbe' },
    {
      contextValue: trusted(
        gatewayContextFromHeaders(req.headers, req.socket.remoteAddress, options.config.TRUST_PROXY_HOPS),
      ),
    },
  );
  const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
  return errors?.find((e) => e.extensions?.code === 'UNAUTHENTICATED') ?? null;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    return 'too-large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      return 'too-large';
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Errors that reach the bridge as GraphQL errors: uncoded ones are input errors, and a 422 without
 * details (a GraphQL coercion message) is put in REST words, never GraphQL's.
 */
function restErrors(errors: readonly GraphQLFormattedError[], field: GraphQLField<unknown, unknown>) {
  const argumentType = (name: string) => field.args.find((a) => a.name === name)?.type;
  return errors.map((e): GraphQLFormattedError => {
    const code = e.extensions?.code ?? 'BAD_USER_INPUT';
    if (
      Array.isArray(e.extensions?.details) ||
      !['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'].includes(String(code))
    ) {
      return { message: e.message, extensions: { ...e.extensions, code } };
    }
    const problem = problemFromGraphQLError(e, argumentType) ?? {
      loc: ['body'],
      // Keep a plain message; one in GraphQL's words (types, variables) is not for REST clients.
      msg: /\$|Variable|cannot represent|type "|[A-Za-z]!/.test(e.message) ? 'Input is not valid' : e.message,
      type: 'value_error',
    };
    return { message: 'Request validation failed.', extensions: { code, details: [problem] } };
  });
}

/**
 * A signed callback route: the raw body and the named headers become the field's arguments, and
 * the caller's credential stays behind (the subgraph verifies the signature instead) unless the
 * route takes either.
 */
async function runSigned(
  req: IncomingMessage,
  res: ServerResponse,
  options: RestBridgeOptions,
  c: OperationRoute,
  raw: Buffer,
): Promise<void> {
  const signed = c.route.signed as NonNullable<RestRoute['signed']>;
  const variables: Record<string, unknown> = { [signed.body]: raw.toString('utf8') };
  for (const [header, argument] of Object.entries(signed.headers)) {
    const value = req.headers[header];
    variables[argument] = Array.isArray(value) ? value[0] : (value ?? null);
  }
  const { authorization: _credential, 'x-api-key': _key, ...unsigned } = req.headers;
  const headers = signed.credential === 'optional' ? req.headers : unsigned;
  const context = trusted(
    gatewayContextFromHeaders(headers, req.socket.remoteAddress, options.config.TRUST_PROXY_HOPS),
  );
  const response = await options.apollo.executeOperation(
    { query: c.query, variables, operationName: c.operationName },
    { contextValue: context },
  );
  const result =
    response.body.kind === 'single'
      ? response.body.singleResult
      : { errors: [{ message: 'Incremental delivery is not supported.' }] };
  if (result.errors?.length) {
    const { status, body, headers: extra } = errorResponse(restErrors(result.errors, c.field));
    sendError(res, status, body, extra);
    return;
  }
  const data = (result.data as Record<string, unknown> | null)?.[c.fieldName] ?? null;
  sendJson(res, c.route.status ?? 200, data);
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

/** The arguments of a request and where each came from, or the problems that stop it. */
function requestArguments(
  c: OperationRoute,
  params: Record<string, string>,
  url: URL,
  body: unknown,
  casing: Casing,
): { variables: Record<string, unknown>; origin: ArgumentOrigin; problems: Problem[] } {
  const variables: Record<string, unknown> = {};
  const origin: ArgumentOrigin = {};
  const problems: Problem[] = [];
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(c.route.method);
  const inputArg = c.field.args.find((a) => a.name === 'input');
  const wholeBody = hasBody && (c.route.body ?? 'input') === 'input' && inputArg !== undefined;
  const pathArgs = new Map(Object.entries(params).map(([name, value]) => [toCamel(name), value]));
  for (const arg of c.field.args) {
    const pathValue = pathArgs.get(arg.name);
    const queryValues = url.searchParams.has(toSnake(arg.name))
      ? url.searchParams.getAll(toSnake(arg.name))
      : url.searchParams.getAll(arg.name);
    let value: unknown;
    if (pathValue !== undefined || queryValues.length) {
      origin[arg.name] = pathValue !== undefined ? 'path' : 'query';
      const read = fromText(arg, pathValue !== undefined ? [pathValue] : queryValues);
      if ('problem' in read) {
        problems.push(read.problem);
        continue;
      }
      // Enums travel as their GraphQL names; the legacy string is the REST face.
      value = casing.input(read.value, arg.type);
    } else if (wholeBody && arg === inputArg) {
      origin[arg.name] = 'input';
      value = casing.input(body ?? {}, arg.type);
    } else if (hasBody && !wholeBody) {
      origin[arg.name] = 'body';
      const raw =
        body && typeof body === 'object' ? (body as Record<string, unknown>)[toSnake(arg.name)] : undefined;
      value = raw === undefined ? undefined : casing.input(raw, arg.type);
    } else {
      origin[arg.name] = 'query';
    }
    problems.push(...argumentProblems(arg, value));
    if (value !== undefined) {
      variables[arg.name] = value;
    }
  }
  return { variables, origin, problems };
}

export interface RestBridgeTables {
  routes?: readonly RestRoute[];
  streams?: readonly StreamRoute[];
}

/**
 * The REST face: every route of the table runs the GraphQL operation sofa's builder makes for its
 * field, in process through the gateway, as a trusted operation. The bridge owns routing,
 * argument validation in REST words, casing, envelopes, status codes and SSE framing; every rule
 * lives in the subgraphs. Boot fails on a route table that is ambiguous.
 */
export function createRestBridge(options: RestBridgeOptions, tables: RestBridgeTables = {}): NodeHandler {
  const routes = tables.routes ?? routeTable;
  const streams = tables.streams ?? streamTable;
  const schema = restSchema(options.subscriptions.apiSchema, routes);
  const casing = new Casing(schema, fieldAliases);
  const router = new Router<Target>([
    ...compileOperations(schema, routes).map((target) => ({
      method: target.route.method,
      path: target.route.path,
      target,
    })),
    ...streams.map((stream) => ({
      method: stream.method,
      path: stream.path,
      target: { kind: 'stream' as const, stream },
    })),
  ]);

  return (req, res, next) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://bridge.local');
      if (!url.pathname.startsWith('/api/')) {
        next();
        return;
      }
      const match = router.match(req.method ?? 'GET', url.pathname);
      if (match.kind !== 'found') {
        const status = match.kind === 'method-not-allowed' ? 405 : 404;
        sendError(
          res,
          status,
          envelope(status, status === 405 ? 'Method Not Allowed' : 'Not Found'),
          match.kind === 'method-not-allowed' ? { allow: match.allowed.join(', ') } : {},
        );
        return;
      }
      const { target, params } = match;
      if (target.kind === 'stream') {
        await target.stream.handle(req, res, { ...options, url, params });
        return;
      }
      const c = target;
      const needsCredential = credentialFields.has(c.route.field) && !c.route.signed;
      // Input problems of an operation that needs a credential: a refused credential is told first.
      const refuseInput = async (problems: readonly Problem[], origin: ArgumentOrigin) => {
        const refusal = needsCredential ? await credentialRefusal(req, options) : null;
        if (refusal) {
          const { status, body: failure, headers } = errorResponse([refusal]);
          sendError(res, status, failure, headers);
          return;
        }
        sendProblems(res, problems, origin);
      };
      if (needsCredential && !req.headers.authorization && !req.headers['x-api-key']) {
        // Drain what the client sends (a large upload too) before answering, so the socket stays usable.
        req.resume();
        sendError(res, 401, envelope(401, 'Authentication required.'));
        return;
      }
      let body: unknown;
      if (['POST', 'PUT', 'PATCH'].includes(c.route.method)) {
        const limit = c.route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
        const raw = await readBody(req, typeof limit === 'function' ? limit(options.config) : limit);
        if (raw === 'too-large') {
          sendError(res, 413, envelope(413, 'Request body too large.'), { connection: 'close' });
          return;
        }
        if (c.route.signed) {
          await runSigned(req, res, options, c, raw);
          return;
        }
        if (c.route.multipart && isMultipart(req.headers)) {
          const form = await parseMultipart(req.headers, raw, c.route.multipart);
          if ('problems' in form) {
            await refuseInput(form.problems, {});
            return;
          }
          body = form.body;
        } else {
          try {
            body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
          } catch {
            await refuseInput([{ loc: ['body'], msg: 'Invalid JSON body.', type: 'json_invalid' }], {});
            return;
          }
        }
        const wholeBody =
          (c.route.body ?? 'input') === 'input' && c.field.args.some((a) => a.name === 'input');
        if (wholeBody && (typeof body !== 'object' || body === null || Array.isArray(body))) {
          await refuseInput(
            [{ loc: ['body'], msg: 'Input should be a valid dictionary or object', type: 'model_type' }],
            {},
          );
          return;
        }
      }
      const { variables, origin, problems } = requestArguments(c, params, url, body, casing);
      if (problems.length) {
        await refuseInput(problems, origin);
        return;
      }
      const context = trusted(
        gatewayContextFromHeaders(req.headers, req.socket.remoteAddress, options.config.TRUST_PROXY_HOPS),
      );
      const response = await options.apollo.executeOperation(
        { query: c.query, variables, operationName: c.operationName },
        { contextValue: context },
      );
      const result =
        response.body.kind === 'single'
          ? response.body.singleResult
          : { errors: [{ message: 'Incremental delivery is not supported.' }] };
      if (result.errors?.length) {
        const { status, body: failure, headers } = errorResponse(restErrors(result.errors, c.field));
        sendError(res, status, status === 422 ? withRestLocs(failure, origin) : failure, headers);
        return;
      }
      const data = casing.output(
        (result.data as Record<string, unknown> | null)?.[c.fieldName] ?? null,
        c.field.type,
      );
      if (c.route.sse) {
        const path = c.route.sse.stream;
        const stream = streams.find((s) => s.path === path);
        if (!stream) {
          throw new Error(`route ${c.route.path}: no stream ${path}`);
        }
        const streamParams = c.route.sse.params(data as Record<string, unknown>);
        await stream.handle(req, res, {
          ...options,
          url,
          params: streamParams,
          after: '0',
          skipPrecheck: true,
        });
        return;
      }
      if (c.route.download) {
        await sendDownload(res, data as DownloadResult);
        return;
      }
      if (c.route.text) {
        const text = Buffer.from(String(data ?? ''), 'utf8');
        res.writeHead(c.route.status ?? 200, {
          'content-type': c.route.text.contentType,
          'content-length': text.length,
        });
        res.end(text);
        return;
      }
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
