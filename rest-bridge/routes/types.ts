import type { Config } from '../../subgraphs/kernel/config.js';

/** One REST operation served by the bridge: a GraphQL root field at a method and path. */
export interface RestRoute {
  /** The GraphQL root field, `Query.x` or `Mutation.y`. */
  field: `${'Query' | 'Mutation'}.${string}`;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Full path as clients call it, params in braces with the contract's names: `/api/v1/conversations/{conversation_id}`. */
  path: string;
  /** Success status (default 200). */
  status?: number;
  /** Where the JSON body goes: the `input` argument (default) or spread over the field's arguments. */
  body?: 'input' | 'args';
  /** Wrap the result in the legacy success envelope `{success: true, message, data}`. */
  envelope?: {
    message: string;
    /** Take the message from this key of the (REST-cased) result instead; it is dropped from `data`. */
    messageField?: string;
    /** `none`: `data` is null (the legacy SuccessNoDataResponse). Default: the result. */
    data?: 'result' | 'none';
  };
  /** A different success status for some results (login answers 202 with an MFA challenge). */
  statusFor?: (data: unknown) => number | undefined;
  /**
   * Answer with a declared SSE stream (by its `path`) instead of JSON, replayed from its start: the
   * operation's result (REST-cased) gives the stream's path params. POST /chat/stream starts a turn so.
   */
  sse?: { stream: string; params: (data: Record<string, unknown>) => Record<string, string> };
  /** Largest request body accepted, in bytes (default 256 KiB, JSON); uploads set more, from the settings. Larger: 413. */
  maxBodyBytes?: number | ((config: Config) => number);
  /**
   * The body may be `multipart/form-data` (JSON stays accepted): the part named `file` becomes
   * `{filename, mime_type, content_base64}` under that name, the parts named in `json` are parsed as
   * JSON, any other part is a string. Bad form data or JSON in a part is a 422.
   */
  multipart?: { file: string; json?: readonly string[] };
  /**
   * Answer with bytes, not JSON (legacy file downloads): the result names `filename` and either a
   * signed `url` (fetched and relayed) or `content_base64`. Sent as `application/octet-stream`,
   * `Content-Disposition: attachment`, `Cache-Control: private, max-age=300`.
   */
  download?: true;
  /** Answer with the result (a string) as the body, of this content type (the status page's RSS). */
  text?: { contentType: string };
  /**
   * A signed callback (LiveKit's webhooks): the body is not parsed but passed verbatim, as text, to
   * the argument `body`; each named request header goes to its argument (`{authorization:
   * 'signature'}`); the request's credential is not forwarded, the signature is the authentication.
   * `contentType` documents the body in the OpenAPI document. `credential: 'optional'`: a bearer
   * credential is forwarded too, and the signature header is optional (either authenticates).
   */
  signed?: {
    body: string;
    headers: Readonly<Record<string, string>>;
    contentType: string;
    credential?: 'optional';
  };
  tags: string[];
  summary: string;
}

/** A REST-only rename: GraphQL field (camelCase) → JSON key, per GraphQL type. */
export type FieldAliases = Record<string, Record<string, string>>;

/**
 * One SSE stream of the REST face, declared as data: a gateway subscription served as
 * `text/event-stream` by the one generic handler (rest-bridge/streams/serve-stream.ts).
 */
export interface RestStream {
  method: 'GET' | 'POST';
  /** Full path, params in braces: `/api/v1/conversations/{conversation_id}/stream`. */
  path: string;
  /** A query run first: its errors (401, 403, 404 …) answer as JSON before any stream starts. */
  precheck?: string;
  /** The subscription document; its one root field is `field`. */
  subscription: string;
  /** The subscription root field: each of its values is one frame. */
  field: string;
  /** The GraphQL type of `field` (REST casing of the frame). Its `cursor` is the frame's `id:` and is left out of `data:`. */
  eventType: string;
  /** A JSON field of the event that already holds the frame in wire form: `data:` is it, verbatim. */
  dataField?: string;
  /** The variables of the precheck and the subscription, from the path params and the resume cursor. */
  variables: (request: { params: Record<string, string>; after: string | null }) => Record<string, unknown>;
  tags: string[];
  summary: string;
}

/** A domain's REST face: its routes, REST-only renames, fields left out, and SSE streams. */
export interface RestSurface {
  routes: readonly RestRoute[];
  aliases?: FieldAliases;
  /** `Type.field` entries the REST face leaves out. */
  ignored?: readonly string[];
  streams?: readonly RestStream[];
}
