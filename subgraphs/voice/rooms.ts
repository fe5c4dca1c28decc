import { NotFoundError } from '../kernel/errors.js';
import { detail, invalid, UUID_RE } from '../kernel/validation.js';

/**
 * Room names are namespaced per tenant: `t-<tenant id>-<name>`. One LiveKit project serves every
 * tenant, so the prefix is what keeps a token, a webhook or a worker of one tenant off another's rooms.
 */
export function roomPrefix(tenantId: string): string {
  return `t-${tenantId.toLowerCase()}-`;
}

export const sessionRoom = (tenantId: string, sessionId: string) =>
  `${roomPrefix(tenantId)}session-${sessionId}`;
export const callRoom = (tenantId: string, callId: string) => `${roomPrefix(tenantId)}call-${callId}`;
/** Rooms LiveKit makes for inbound calls of a mapping (its dispatch rule's `roomPrefix`). */
export const inboundRoomPrefix = (tenantId: string, mappingId: string) =>
  `${roomPrefix(tenantId)}inbound-${mappingId}-`;

const TENANT_ROOM = new RegExp(`^t-(${UUID_RE.source.slice(1, -1)})-(.+)$`, 'i');

/** The tenant a namespaced room belongs to, and the rest of its name; null for any other name. */
export function parseRoomName(room: string): { tenantId: string; name: string } | null {
  const match = TENANT_ROOM.exec(room);
  return match ? { tenantId: (match[1] as string).toLowerCase(), name: match[2] as string } : null;
}

/** Names a client may give a room: letters, digits, `-`, `_`, `.`, at most 128 characters. */
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The full room name for a name a client gave (`argument`: where it was given): a bare name is put
 * in the tenant's namespace, a name already in it is kept, and a name in another tenant's namespace
 * is NOT_FOUND (never a token for another tenant's room).
 */
export function tenantRoomName(tenantId: string, requested: string, argument: (string | number)[]): string {
  const owned = parseRoomName(requested);
  if (owned) {
    if (owned.tenantId !== tenantId.toLowerCase()) {
      throw new NotFoundError('Room', requested);
    }
    return `${roomPrefix(tenantId)}${owned.name}`;
  }
  if (!CLIENT_NAME.test(requested)) {
    throw invalid([
      detail(
        argument,
        'Room names are 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit.',
      ),
    ]);
  }
  return `${roomPrefix(tenantId)}${requested}`;
}
