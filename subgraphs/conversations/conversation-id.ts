import { createHash } from 'node:crypto';
import { isUuid } from '../kernel/validation.js';

/** RFC 4122 version-5 UUID of `name` in `namespace` (a client's non-UUID conversation id). */
function uuidV5(namespace: string, name: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name)
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The stored id of a client's conversation id: itself when a UUID, else derived per tenant. */
/** Also how a path's `{conversation_id}` is looked up, so a client's own ids work everywhere. */
export function conversationUuid(tenantId: string, clientId: string): string {
  return isUuid(clientId) ? clientId.toLowerCase() : uuidV5(tenantId, `conversation:${clientId}`);
}
