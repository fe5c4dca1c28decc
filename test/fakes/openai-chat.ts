/**
 * The chat half of the OpenAI-compatible double: `POST /v1/chat/completions`, streamed (SSE chunks as
 * the `openai` SDK parses them, usage in a last chunk) and not, and `POST /v1/responses` (the
 * Responses API's stream events, function calls as items). Replies are scripted per request kind
 * (streamed requests are agent runs, plain ones titles and summaries); unscripted ones echo the last
 * user message. It counts streams the client closed before they finished (a cancelled turn).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ScriptedReply {
  /** The answer text (one chunk unless `chunks`). */
  text?: string;
  /** The answer in these deltas. */
  chunks?: string[];
  /** Tool calls instead of (or before) text. */
  toolCalls?: { id?: string; name: string; arguments: string }[];
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Wait before the first byte. */
  delayMs?: number;
  /** Wait between chunks (a slow stream). */
  chunkDelayMs?: number;
  /** Answer this HTTP status with an OpenAI error body. */
  status?: number;
}

export interface ChatDouble {
  /** Queues replies for streamed requests (agent runs), one per request, in order. */
  script(...replies: ScriptedReply[]): void;
  /** Queues replies for non-streamed requests (titles, summaries). */
  scriptPlain(...replies: ScriptedReply[]): void;
  /** Bodies of every chat completion request, oldest first. */
  chatRequests(): Record<string, unknown>[];
  /** The `messages` of the last streamed request (an agent run). */
  lastMessages(): unknown[];
  /** Streams the client closed before the end. */
  readonly aborted: number;
  /** Streams in flight. */
  readonly open: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lastUserText(body: Record<string, unknown>): string {
  if (typeof body.input === 'string') {
    return body.input;
  }
  const messages =
    (body.messages as { role: string; content: unknown }[] | undefined) ??
    (body.input as { role: string; content: unknown }[] | undefined) ??
    [];
  const user = [...messages].reverse().find((m) => m.role === 'user');
  return typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
}

export function createChatDouble() {
  const streamed: ScriptedReply[] = [];
  const plain: ScriptedReply[] = [];
  const bodies: Record<string, unknown>[] = [];
  let aborted = 0;
  let open = 0;

  const api: ChatDouble = {
    script: (...replies) => void streamed.push(...replies),
    scriptPlain: (...replies) => void plain.push(...replies),
    chatRequests: () => [...bodies],
    lastMessages: () => {
      const last = [...bodies].reverse().find((b) => b.stream === true);
      return ((last?.messages ?? last?.input) as unknown[]) ?? [];
    },
    get aborted() {
      return aborted;
    },
    get open() {
      return open;
    },
  };

  function reset() {
    streamed.length = 0;
    plain.length = 0;
    bodies.length = 0;
    aborted = 0;
  }

  /** Answers `POST /v1/chat/completions`; returns false for other routes. */
  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    raw: unknown,
  ): Promise<boolean> {
    const isResponses = path === '/v1/responses';
    if ((path !== '/v1/chat/completions' && !isResponses) || req.method !== 'POST') {
      return false;
    }
    const body = (raw ?? {}) as Record<string, unknown>;
    bodies.push(body);
    const isStream = body.stream === true;
    const reply = (isStream ? streamed : plain).shift() ?? { text: `echo: ${lastUserText(body)}` };
    if (reply.delayMs) {
      await sleep(reply.delayMs);
    }
    if (reply.status) {
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: {
            message: `Injected failure ${reply.status}`,
            type: 'server_error',
            param: null,
            code: null,
          },
        }),
      );
      return true;
    }
    if (isResponses) {
      await responses(res, body, reply);
      return true;
    }
    const model = String(body.model ?? 'gpt-test');
    const chunks = reply.chunks ?? (reply.text !== undefined ? [reply.text] : []);
    const text = chunks.join('');
    const usage = {
      prompt_tokens: reply.usage?.prompt_tokens ?? Math.ceil(JSON.stringify(body.messages ?? []).length / 4),
      completion_tokens: reply.usage?.completion_tokens ?? Math.max(1, chunks.length),
    };
    const fullUsage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
    const toolCalls = (reply.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `call_${i}_${Date.now()}`,
      type: 'function' as const,
      function: { name: c.name, arguments: c.arguments },
    }));
    const finish = toolCalls.length ? 'tool_calls' : 'stop';
    const id = `chatcmpl_${Date.now()}`;
    const created = Math.floor(Date.now() / 1000);
    if (!isStream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: toolCalls.length ? null : text,
                ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
              },
              finish_reason: finish,
            },
          ],
          usage: fullUsage,
        }),
      );
      return true;
    }
    open++;
    let finished = false;
    res.on('close', () => {
      open--;
      if (!finished) {
        aborted++;
      }
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const base = { id, object: 'chat.completion.chunk', created, model };
    const send = (choice: Record<string, unknown> | null, extra: Record<string, unknown> = {}) =>
      res.write(
        `data: ${JSON.stringify({ ...base, choices: choice ? [{ index: 0, ...choice }] : [], ...extra })}\n\n`,
      );
    send({ delta: { role: 'assistant', content: '' }, finish_reason: null });
    for (const [i, chunk] of chunks.entries()) {
      if (res.destroyed) {
        return true;
      }
      if (i > 0 && reply.chunkDelayMs) {
        await sleep(reply.chunkDelayMs);
      }
      if (res.destroyed) {
        return true;
      }
      send({ delta: { content: chunk }, finish_reason: null });
    }
    for (const [index, call] of toolCalls.entries()) {
      send({
        delta: {
          tool_calls: [
            { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
          ],
        },
        finish_reason: null,
      });
      send({
        delta: { tool_calls: [{ index, function: { arguments: call.function.arguments } }] },
        finish_reason: null,
      });
    }
    send({ delta: {}, finish_reason: finish });
    send(null, { usage: fullUsage });
    finished = true;
    res.end('data: [DONE]\n\n');
    return true;
  }

  /** Answers the Responses API, streamed and not. */
  async function responses(res: ServerResponse, body: Record<string, unknown>, reply: ScriptedReply) {
    const hex = () => randomBytes(8).toString('hex');
    const model = typeof body.model === 'string' ? body.model : 'gpt-4.1-mini';
    const text = reply.text ?? reply.chunks?.join('') ?? '';
    const chunks = reply.chunks ?? (text ? [text] : []);
    const calls = (reply.toolCalls ?? []).map((c, i) => ({
      id: `fc_${hex()}`,
      type: 'function_call' as const,
      call_id: c.id ?? `call_${i}_${hex()}`,
      name: c.name,
      arguments: c.arguments,
      status: 'completed' as const,
    }));
    const prompt = Math.max(1, Math.ceil(JSON.stringify(body.input ?? '').length / 4));
    const u = reply.usage ?? {
      prompt_tokens: prompt,
      completion_tokens: Math.max(1, chunks.length + calls.length),
    };
    const usage = {
      input_tokens: u.prompt_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: u.completion_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: u.prompt_tokens + u.completion_tokens,
    };
    const msgId = `msg_${hex()}`;
    const message = (content: string, status: string) => ({
      id: msgId,
      type: 'message',
      role: 'assistant',
      status,
      content:
        content || status === 'completed'
          ? [{ type: 'output_text', text: content, annotations: [], logprobs: [] }]
          : [],
    });
    const output: unknown[] = [...(chunks.length ? [message(text, 'completed')] : []), ...calls];
    const response = (status: string, out: unknown[], withUsage: boolean) => ({
      id: `resp_${msgId.slice(4)}`,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status,
      error: null,
      incomplete_details: null,
      instructions: body.instructions ?? null,
      model,
      output: out,
      output_text: text,
      parallel_tool_calls: true,
      tool_choice: 'auto',
      tools: body.tools ?? [],
      usage: withUsage ? usage : null,
    });
    if (body.stream !== true) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(response('completed', output, true)));
      return;
    }
    open++;
    let finished = false;
    res.on('close', () => {
      open--;
      if (!finished) {
        aborted++;
      }
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    let seq = 0;
    const emit = (type: string, data: Record<string, unknown>) =>
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
    const gap = async () => {
      if (reply.chunkDelayMs) {
        await sleep(reply.chunkDelayMs);
      }
      return res.destroyed || res.writableEnded;
    };
    emit('response.created', { response: response('in_progress', [], false) });
    let index = 0;
    if (chunks.length) {
      emit('response.output_item.added', { output_index: index, item: message('', 'in_progress') });
      const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
      emit('response.content_part.added', { item_id: msgId, output_index: index, content_index: 0, part });
      for (const piece of chunks) {
        if (await gap()) {
          return;
        }
        emit('response.output_text.delta', {
          item_id: msgId,
          output_index: index,
          content_index: 0,
          delta: piece,
          logprobs: [],
        });
      }
      emit('response.output_text.done', {
        item_id: msgId,
        output_index: index,
        content_index: 0,
        text,
        logprobs: [],
      });
      emit('response.content_part.done', {
        item_id: msgId,
        output_index: index,
        content_index: 0,
        part: { ...part, text },
      });
      emit('response.output_item.done', { output_index: index, item: message(text, 'completed') });
      index += 1;
    }
    for (const call of calls) {
      if (await gap()) {
        return;
      }
      emit('response.output_item.added', {
        output_index: index,
        item: { ...call, arguments: '', status: 'in_progress' },
      });
      emit('response.function_call_arguments.delta', {
        item_id: call.id,
        output_index: index,
        delta: call.arguments,
      });
      emit('response.function_call_arguments.done', {
        item_id: call.id,
        output_index: index,
        arguments: call.arguments,
      });
      emit('response.output_item.done', { output_index: index, item: call });
      index += 1;
    }
    if (await gap()) {
      return;
    }
    finished = true;
    emit('response.completed', { response: response('completed', output, true) });
    res.end();
  }

  return { api, handle, reset };
}
