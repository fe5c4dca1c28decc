/**
 * An OpenAI-compatible HTTP double on loopback (port 0) for tests: chat completions (openai-chat.ts),
 * embeddings (`POST /v1/embeddings`, deterministic word-hash vectors, float or base64), the
 * `/v1/containers` routes the
 * `openai` SDK calls (create, retrieve, list, delete) and a container file's content. It keeps its
 * containers in memory, records every request, and fails or stalls on demand (`failNext`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChatDouble, createChatDouble } from './openai-chat.js';

export interface RecordedRequest {
  method: string;
  /** Path without the query string: `/v1/containers/cntr_…`. */
  path: string;
  query: Record<string, string>;
  authorization: string | null;
  body: unknown;
}

export interface FakeContainer {
  id: string;
  object: 'container';
  name: string;
  status: string;
  created_at: number;
  last_active_at: number;
  memory_limit: string;
  expires_after: { anchor: string; minutes: number };
  file_ids: string[];
}

/** A failure to inject: the next `times` requests matching `method` and `path` answer it. */
export interface Failure {
  method?: string;
  /** Matched against the request path (a string matches as a prefix). */
  path?: string | RegExp;
  /** HTTP status with an OpenAI error body, or `drop` to destroy the connection unanswered; absent: answer normally. */
  status?: number | 'drop';
  /** Wait this long before answering (to overlap requests deterministically). */
  delayMs?: number;
  message?: string;
  times?: number;
}

export interface FakeOpenAI extends ChatDouble {
  /** Base URL for OPENAI_BASE_URL: `http://127.0.0.1:<port>/v1`. */
  baseUrl: string;
  requests: RecordedRequest[];
  containers: Map<string, FakeContainer>;
  /** Bytes served by GET /v1/containers/{id}/files/{file_id}/content. */
  files: Map<string, Buffer>;
  /**
   * When set, every embedding has this many numbers whatever the request's `dimensions` (a model
   * that ignores the parameter); `reset()` clears it.
   */
  embeddingDimensionsOverride: number | null;
  failNext(failure: Failure): void;
  /** Requests matching a method and a path prefix or pattern. */
  calls(method: string, path?: string | RegExp): RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

const fileKey = (containerId: string, fileId: string) => `${containerId}/${fileId}`;

/** The double's default embedding size (text-embedding-3-small's). */
export const FAKE_EMBEDDING_DIMENSIONS = 1536;

/**
 * The double's vector of a text: each lower-cased word (Unicode letters and digits) adds ±1 to a
 * hashed bucket, then L2-normalised; equal texts give equal vectors, texts sharing words are closer.
 * A text without words is the unit vector on bucket 0.
 */
export function fakeEmbedding(text: string, dimensions = FAKE_EMBEDDING_DIMENSIONS): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let hash = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) {
      hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193);
    }
    hash >>>= 0;
    const bucket = (hash >>> 1) % dimensions;
    vector[bucket] = (vector[bucket] as number) + (hash & 1 ? 1 : -1);
  }
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  return vector.map((v) => v / norm);
}

/** An embedding as the API's base64 form: little-endian float32s. */
function base64Embedding(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

function matches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) {
    return true;
  }
  return typeof pattern === 'string' ? path.startsWith(pattern) : pattern.test(path);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Starts the double, accepting `Bearer <apiKey>` only; `close()` it after the tests. */
export async function startFakeOpenAI(options: { apiKey?: string } = {}): Promise<FakeOpenAI> {
  const expected = `Bearer ${options.apiKey ?? 'test'}`;
  const requests: RecordedRequest[] = [];
  const containers = new Map<string, FakeContainer>();
  const files = new Map<string, Buffer>();
  let failures: (Failure & { left: number })[] = [];
  const chat = createChatDouble();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake.local');
      const method = req.method ?? 'GET';
      const path = url.pathname;
      const body = await readJson(req);
      requests.push({
        method,
        path,
        query: Object.fromEntries(url.searchParams),
        authorization: req.headers.authorization ?? null,
        body,
      });
      const send = (status: number, payload?: unknown) => {
        if (payload === undefined) {
          res.writeHead(status).end();
          return;
        }
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      const error = (status: number, message: string) =>
        send(status, { error: { message, type: 'invalid_request_error', param: null, code: null } });

      const failure = failures.find((f) => (f.method ?? method) === method && matches(f.path, path));
      if (failure) {
        failure.left -= 1;
        failures = failures.filter((f) => f.left > 0);
        if (failure.delayMs) {
          await new Promise((resolve) => setTimeout(resolve, failure.delayMs));
        }
        if (failure.status === 'drop') {
          req.socket.destroy();
          return;
        }
        if (failure.status !== undefined) {
          error(failure.status, failure.message ?? `Injected failure ${failure.status}`);
          return;
        }
      }
      if (req.headers.authorization !== expected) {
        error(401, 'Incorrect API key provided.');
        return;
      }

      if (await chat.handle(req, res, path, body)) {
        return;
      }
      if (path === '/v1/embeddings' && method === 'POST') {
        const input = (body ?? {}) as Record<string, unknown>;
        if (typeof input.model !== 'string' || !input.model) {
          error(400, "Missing required parameter: 'model'.");
          return;
        }
        // OpenAI accepts a string, strings, or token arrays (read here as words `t<id>`).
        const raw =
          Array.isArray(input.input) && input.input.every((x) => typeof x === 'number')
            ? [input.input]
            : Array.isArray(input.input)
              ? input.input
              : [input.input];
        const texts = raw.map((x) =>
          typeof x === 'string' ? x : Array.isArray(x) ? x.map((t) => `t${t}`).join(' ') : undefined,
        );
        if (texts.length === 0 || texts.some((t) => t === undefined || t === '')) {
          error(
            400,
            "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
          );
          return;
        }
        const requested = input.dimensions;
        if (requested !== undefined && (!Number.isInteger(requested) || (requested as number) < 1)) {
          error(400, "Invalid 'dimensions': must be a positive integer.");
          return;
        }
        const format = input.encoding_format ?? 'float';
        if (format !== 'float' && format !== 'base64') {
          error(400, "Invalid 'encoding_format': must be 'float' or 'base64'.");
          return;
        }
        const dimensions =
          api.embeddingDimensionsOverride ?? (requested as number | undefined) ?? FAKE_EMBEDDING_DIMENSIONS;
        const tokens = (texts as string[]).reduce(
          (sum, t) => sum + Math.max(1, (t.match(/[\p{L}\p{N}]+/gu) ?? []).length),
          0,
        );
        send(200, {
          object: 'list',
          data: (texts as string[]).map((text, index) => {
            const vector = fakeEmbedding(text, dimensions);
            return {
              object: 'embedding',
              index,
              embedding: format === 'base64' ? base64Embedding(vector) : vector,
            };
          }),
          model: input.model,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        });
        return;
      }
      const one = /^\/v1\/containers\/([^/]+)$/.exec(path);
      const content = /^\/v1\/containers\/([^/]+)\/files\/([^/]+)\/content$/.exec(path);
      if (path === '/v1/containers' && method === 'POST') {
        const input = (body ?? {}) as Record<string, unknown>;
        if (typeof input.name !== 'string' || !input.name) {
          error(400, "Missing required parameter: 'name'.");
          return;
        }
        const now = Math.floor(Date.now() / 1000);
        const container: FakeContainer = {
          id: `cntr_${randomBytes(12).toString('hex')}`,
          object: 'container',
          name: input.name,
          status: 'running',
          created_at: now,
          last_active_at: now,
          memory_limit: typeof input.memory_limit === 'string' ? input.memory_limit : '1g',
          expires_after: (input.expires_after as FakeContainer['expires_after']) ?? {
            anchor: 'last_active_at',
            minutes: 20,
          },
          file_ids: Array.isArray(input.file_ids) ? (input.file_ids as string[]) : [],
        };
        containers.set(container.id, container);
        send(200, container);
        return;
      }
      if (path === '/v1/containers' && method === 'GET') {
        const all = [...containers.values()].sort((a, b) => b.created_at - a.created_at);
        const after = url.searchParams.get('after');
        const start = after ? all.findIndex((c) => c.id === after) + 1 : 0;
        const limit = Number(url.searchParams.get('limit') ?? 20);
        const data = all.slice(start, start + limit);
        send(200, {
          object: 'list',
          data,
          first_id: data[0]?.id ?? null,
          last_id: data.at(-1)?.id ?? null,
          has_more: start + limit < all.length,
        });
        return;
      }
      if (one && method === 'GET') {
        const container = containers.get(one[1] as string);
        container ? send(200, container) : error(404, `No container found with id '${one[1]}'.`);
        return;
      }
      if (one && method === 'DELETE') {
        const id = one[1] as string;
        if (!containers.delete(id)) {
          error(404, `No container found with id '${id}'.`);
          return;
        }
        send(200, { id, object: 'container.deleted', deleted: true });
        return;
      }
      if (content && method === 'GET') {
        const bytes = files.get(fileKey(content[1] as string, content[2] as string));
        if (!bytes) {
          error(404, 'File not found.');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
        return;
      }
      error(404, `Unknown route ${method} ${path}`);
    })().catch((e: unknown) => {
      res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const api: FakeOpenAI = {
    script: chat.api.script,
    scriptPlain: chat.api.scriptPlain,
    chatRequests: chat.api.chatRequests,
    lastMessages: chat.api.lastMessages,
    get aborted() {
      return chat.api.aborted;
    },
    get open() {
      return chat.api.open;
    },
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    containers,
    files,
    embeddingDimensionsOverride: null,
    failNext(failure) {
      failures.push({ ...failure, left: failure.times ?? 1 });
    },
    calls(method, path) {
      return requests.filter((r) => r.method === method && matches(path, r.path));
    },
    reset() {
      requests.length = 0;
      containers.clear();
      files.clear();
      failures = [];
      api.embeddingDimensionsOverride = null;
      chat.reset();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
  return api;
}

/** Key of a file in `files`, as the content route looks it up. */
export { fileKey as fakeFileKey };
