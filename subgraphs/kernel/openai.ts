import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { Config } from './config.js';
import { AppError, BadRequestError } from './errors.js';

/** The OpenAI API the SDK calls when OPENAI_BASE_URL is unset. */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

const clients = new Map<string, OpenAI>();

/**
 * The one OpenAI SDK client of a configuration, or null when OPENAI_API_KEY is unset. Everything
 * comes from the validated config, never from the SDK's own reading of the environment, so a test's
 * stack talks to its double and nothing else.
 */
export function openaiClient(config: Config): OpenAI | null {
  const apiKey = config.OPENAI_API_KEY;
  if (!apiKey) {
    return null;
  }
  const baseURL = config.OPENAI_BASE_URL ?? DEFAULT_OPENAI_BASE_URL;
  const key = [baseURL, apiKey, config.OPENAI_TIMEOUT_MS, config.OPENAI_MAX_RETRIES].join('\n');
  let client = clients.get(key);
  if (!client) {
    client = new OpenAI({
      apiKey,
      baseURL,
      organization: null,
      project: null,
      timeout: config.OPENAI_TIMEOUT_MS,
      maxRetries: config.OPENAI_MAX_RETRIES,
    });
    clients.set(key, client);
  }
  return client;
}

/** The client, or SERVICE_UNAVAILABLE (503) saying what needs the provider. */
export function requireOpenAI(config: Config, feature: string): OpenAI {
  const client = openaiClient(config);
  if (!client) {
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      `${feature} need OPENAI_API_KEY: no OpenAI provider is configured on this deployment.`,
    );
  }
  return client;
}

/** Whether a provider call failed with one of these HTTP statuses (e.g. 404/410 on a delete). */
export function isProviderStatus(error: unknown, ...statuses: number[]): boolean {
  return error instanceof APIError && typeof error.status === 'number' && statuses.includes(error.status);
}

/**
 * A failed provider call as a coded error, never a 500 with the SDK's stack: unreachable or timed out
 * → 503; the provider rejecting the request itself (400/422) → 400 with its message; rate limited →
 * 503; anything else (5xx, our credentials refused) → 502.
 */
export function providerError(error: unknown, action: string): AppError {
  if (error instanceof AppError) {
    return error;
  }
  if (error instanceof APIConnectionError) {
    return new AppError(
      'SERVICE_UNAVAILABLE',
      `The OpenAI provider is unreachable (${action}); try again later.`,
    );
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const said = providerMessage(error);
    if (error.status === 400 || error.status === 422) {
      return new BadRequestError(`The OpenAI provider refused the request (${action})${said}`);
    }
    if (error.status === 429) {
      return new AppError(
        'SERVICE_UNAVAILABLE',
        `The OpenAI provider is rate limiting (${action}); try again later.`,
      );
    }
    return new AppError('BAD_GATEWAY', `The OpenAI provider failed (${action}): HTTP ${error.status}${said}`);
  }
  return new AppError('BAD_GATEWAY', `The OpenAI provider call failed (${action}).`);
}

/** The provider's own error message, short, as `: message` (empty when it gave none). */
function providerMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const message = typeof body?.message === 'string' ? body.message.trim() : '';
  return message ? `: ${message.slice(0, 300)}` : '.';
}
