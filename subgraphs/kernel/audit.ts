import type { Prisma } from '../../generated/prisma/client.js';
import type { DbTx } from './db.js';
import type { Viewer } from './viewer.js';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string;
  tenantId?: string | null;
  metadata?: Prisma.InputJsonValue;
}

/** Records who did what; call it inside the transaction that makes the change. */
export async function recordAudit(tx: DbTx, viewer: Viewer | null, entry: AuditEntry): Promise<void> {
  await tx.auditEvent.create({
    data: {
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      tenantId: entry.tenantId ?? viewer?.tenantId ?? null,
      actorId: viewer?.subject ?? null,
      actorKind: viewer?.kind ?? null,
      ...(entry.metadata === undefined ? {} : { metadata: entry.metadata }),
    },
  });
}
