import {
  AgentDispatchClient,
  RoomServiceClient,
  ServerError,
  SipCallError,
  SipClient,
} from 'livekit-server-sdk';
import type { Config } from '../kernel/config.js';
import { AppError } from '../kernel/errors.js';

/** The LiveKit server of a deployment: its URL, credentials and the SDK's Twirp clients. */
export interface LiveKit {
  /** What clients connect to: LIVEKIT_URL as a websocket URL (`https://…` → `wss://…`). */
  url: string;
  apiKey: string;
  apiSecret: string;
  rooms: RoomServiceClient;
  sip: SipClient;
  dispatch: AgentDispatchClient;
}

const clients = new WeakMap<Config, LiveKit | null>();

/** The settings that enable LiveKit, named in every 503. */
export const LIVEKIT_SETTINGS = 'LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET';

/** The deployment's LiveKit, or null when any of its three settings is unset (one per configuration). */
export function liveKit(config: Config): LiveKit | null {
  if (clients.has(config)) {
    return clients.get(config) ?? null;
  }
  const { LIVEKIT_URL: url, LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret } = config;
  const made =
    url && apiKey && apiSecret
      ? {
          url: url.replace(/^http(s?):/, 'ws$1:'),
          apiKey,
          apiSecret,
          rooms: new RoomServiceClient(url, apiKey, apiSecret),
          sip: new SipClient(url, apiKey, apiSecret),
          dispatch: new AgentDispatchClient(url, apiKey, apiSecret),
        }
      : null;
  clients.set(config, made);
  return made;
}

/** LiveKit, or SERVICE_UNAVAILABLE naming the settings (`what`: the operation refused). */
export function requireLiveKit(config: Config, what = 'Voice rooms and calls'): LiveKit {
  const found = liveKit(config);
  if (!found) {
    throw new AppError('SERVICE_UNAVAILABLE', `${what} need LiveKit: set ${LIVEKIT_SETTINGS}.`);
  }
  return found;
}

/** Whether LiveKit answered that the thing asked for does not exist (a room already gone, say). */
export function isLiveKitNotFound(error: unknown): boolean {
  return error instanceof ServerError && (error.status === 404 || error.code === 'not_found');
}

/** The SIP status of a failed dial (486, 480, 603 …), when LiveKit gave one. */
export function sipFailure(error: unknown): { code: number; status: string | null } | null {
  if (error instanceof SipCallError && error.sipStatusCode !== undefined) {
    return { code: error.sipStatusCode, status: error.sipStatus ?? null };
  }
  return null;
}

/**
 * A LiveKit failure as the platform's coded error: what the caller asked that LiveKit refused is a
 * 4xx with LiveKit's words; LiveKit refusing the platform's own credentials, or failing, is 502;
 * unreachable or overloaded is 503. Never a 500.
 */
export function liveKitError(error: unknown, what: string): AppError {
  if (error instanceof AppError) {
    return error;
  }
  if (error instanceof ServerError) {
    const said = error.message ? `: ${error.message}` : '';
    // LiveKit's auth middleware answers a bad token with a bare-text 401 (no Twirp code).
    if (error.status === 401 || error.status === 403) {
      return new AppError(
        'BAD_GATEWAY',
        `LiveKit refused the platform's credentials; check LIVEKIT_API_KEY and LIVEKIT_API_SECRET.`,
      );
    }
    // SIP conflicts come as invalid_argument: "Conflicting inbound SIP Trunks: …", "Dispatch rule for
    // the same trunk, inbound number, number, and PIN combination already exists in dispatch rule …".
    if (/conflicting|already exists/i.test(error.message)) {
      return new AppError('CONFLICT', `LiveKit could not ${what}${said}`);
    }
    switch (error.code) {
      case 'invalid_argument':
      case 'malformed':
      case 'out_of_range':
      case 'failed_precondition':
        return new AppError('BAD_REQUEST', `LiveKit refused to ${what}${said}`);
      case 'not_found':
      case 'bad_route':
        return new AppError('NOT_FOUND', `LiveKit could not ${what}${said}`);
      case 'already_exists':
      case 'aborted':
        return new AppError('CONFLICT', `LiveKit could not ${what}${said}`);
      case 'resource_exhausted':
        return new AppError('RATE_LIMITED', `LiveKit is rate limiting; could not ${what}.`, {
          retryAfterSeconds: 5,
        });
      case 'unauthenticated':
      case 'permission_denied':
        return new AppError(
          'BAD_GATEWAY',
          `LiveKit refused the platform's credentials; check LIVEKIT_API_KEY and LIVEKIT_API_SECRET.`,
        );
      case 'unavailable':
      case 'deadline_exceeded':
      case 'canceled':
        return new AppError('SERVICE_UNAVAILABLE', `LiveKit is unavailable; could not ${what}.`);
      default:
        if (error.status === 503 || error.status === 408) {
          return new AppError('SERVICE_UNAVAILABLE', `LiveKit is unavailable; could not ${what}.`);
        }
        return new AppError('BAD_GATEWAY', `LiveKit failed to ${what} (HTTP ${error.status})${said}`);
    }
  }
  // fetch failures (refused, reset, DNS) and the SDK's request timeout.
  return new AppError('SERVICE_UNAVAILABLE', `LiveKit is unreachable; could not ${what}.`);
}

/** Runs one LiveKit call, any failure mapped by `liveKitError`. */
export async function callLiveKit<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw liveKitError(error, what);
  }
}
