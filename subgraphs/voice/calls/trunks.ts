import type { Config } from '../../kernel/config.js';
import { detail, invalid } from '../../kernel/validation.js';
import { callLiveKit, type LiveKit } from '../livekit.js';

/** The `tenant_id` a LiveKit trunk's or rule's `metadata` JSON names, or null (none, or not JSON). */
export function metadataTenant(metadata: string | undefined): string | null {
  if (!metadata) {
    return null;
  }
  try {
    const value = JSON.parse(metadata) as unknown;
    if (value && typeof value === 'object' && 'tenant_id' in value) {
      const tenant = (value as { tenant_id: unknown }).tenant_id;
      return typeof tenant === 'string' ? tenant.toLowerCase() : null;
    }
  } catch {
    // not ours: no owner named
  }
  return null;
}

/**
 * The outbound trunk a call of `tenantId` may dial through (`argument`: where the trunk was named).
 * It must exist in LiveKit, and a trunk whose `metadata` names another tenant (`{"tenant_id": …}`)
 * reads as missing (422, no leak), unless it is the deployment's LIVEKIT_SIP_OUTBOUND_TRUNK_ID, the
 * default every tenant shares. Trunks naming no tenant are the operator's and open to all.
 */
export async function checkOutboundTrunk(
  config: Config,
  livekit: LiveKit,
  tenantId: string,
  trunkId: string,
  argument: (string | number)[],
): Promise<void> {
  const trunks = await callLiveKit('look up the SIP outbound trunk', () =>
    livekit.sip.listSipOutboundTrunk({ trunkIds: [trunkId] }),
  );
  const trunk = trunks.find((t) => t?.sipTrunkId === trunkId);
  const owner = trunk ? metadataTenant(trunk.metadata) : null;
  const shared = trunkId === config.LIVEKIT_SIP_OUTBOUND_TRUNK_ID;
  if (!trunk || (owner !== null && owner !== tenantId.toLowerCase() && !shared)) {
    throw invalid([detail(argument, `No such trunk: ${trunkId} is not a SIP outbound trunk in LiveKit.`)]);
  }
}
