/**
 * Calls a tenant's `http` tool: the JSON arguments as the body, signed (`tools/signing.ts`), within
 * the version's timeout and response limit. Every failure (refused URL, connection, timeout,
 * non-2xx, too large, invalid JSON) is an outcome with the reason, never a thrown error: the model
 * sees it as the tool's error.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPrivateAddress, outboundUrlProblem } from '../../kernel/url-policy.js';
import { HTTP_TOOL_LIMITS } from '../tools/tool.service.js';

export interface HttpToolCall {
  url: string;
  method: 'POST' | 'PUT' | 'PATCH';
  timeoutMs: number;
  maxResponseBytes: number;
}

export type HttpToolOutcome = { ok: true; output: unknown } | { ok: false; error: string };

/** How much of an error response's body the model is shown. */
const ERROR_BODY_CHARACTERS = 500;

const bounded = (value: unknown, limits: { min: number; max: number; default: number }): number =>
  typeof value === 'number' && Number.isInteger(value) && value >= limits.min && value <= limits.max
    ? value
    : limits.default;

/** The call a stored http tool config describes (limits defaulted as tool.service.ts does); null without a URL. */
export function httpToolCall(config: Record<string, unknown>): HttpToolCall | null {
  if (typeof config.url !== 'string' || !config.url) {
    return null;
  }
  const method = config.method === 'PUT' || config.method === 'PATCH' ? config.method : 'POST';
  return {
    url: config.url,
    method,
    timeoutMs: bounded(config.timeout_ms, HTTP_TOOL_LIMITS.timeoutMs),
    maxResponseBytes: bounded(config.max_response_bytes, HTTP_TOOL_LIMITS.maxResponseBytes),
  };
}

/**
 * A DNS lookup that refuses private, loopback and link-local answers (unless allowed): the address
 * connected to is the one checked, so a host re-pointed after the version was saved gains nothing.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) {
        const refused = Object.assign(
          new Error(`the host ${hostname} resolves to a private address, which is not allowed`),
          { code: 'ETOOLPRIVATE' },
        );
        callback(refused, '', 0);
        return;
      }
      if (options.all) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        return;
      }
      const [first] = addresses;
      if (!first) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        return;
      }
      callback(null, first.address, first.family);
    });
  };
}

function errorReason(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code && e.message && !e.message.includes(e.code)
    ? `${e.code}: ${e.message}`
    : (e.message ?? String(e));
}

/** Sends the signed body and reads the answer as JSON. */
export async function callHttpTool(
  call: HttpToolCall,
  body: string,
  headers: Record<string, string>,
  allowPrivate: boolean,
): Promise<HttpToolOutcome> {
  const problem = await outboundUrlProblem(call.url, allowPrivate);
  if (problem) {
    return { ok: false, error: `The tool's URL is not allowed: ${problem}` };
  }
  const url = new URL(call.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<HttpToolOutcome>((done) => {
    let settled = false;
    const finish = (outcome: HttpToolOutcome) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        done(outcome);
      }
    };
    const req = send(url, {
      method: call.method,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      },
      lookup: guardedLookup(allowPrivate),
    });
    const timer = setTimeout(() => {
      finish({ ok: false, error: `The tool endpoint did not answer within ${call.timeoutMs} ms.` });
      req.destroy();
    }, call.timeoutMs);
    req.on('error', (error) =>
      finish({ ok: false, error: `The tool endpoint could not be reached (${errorReason(error)}).` }),
    );
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > call.maxResponseBytes) {
          finish({
            ok: false,
            error: `The tool endpoint's response exceeded ${call.maxResponseBytes} bytes.`,
          });
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error) =>
        finish({ ok: false, error: `The tool endpoint's response failed (${errorReason(error)}).` }),
      );
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          const excerpt = text.trim().slice(0, ERROR_BODY_CHARACTERS);
          finish({
            ok: false,
            error: `The tool endpoint answered HTTP ${status}${excerpt ? `: ${excerpt}` : '.'}`,
          });
          return;
        }
        if (!text.trim()) {
          finish({ ok: true, output: null });
          return;
        }
        try {
          finish({ ok: true, output: JSON.parse(text) });
        } catch (error) {
          finish({
            ok: false,
            error: `The tool endpoint answered HTTP ${status} with invalid JSON (${(error as Error).message}).`,
          });
        }
      });
    });
    req.end(body);
  });
}
