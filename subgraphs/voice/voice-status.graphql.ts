import { actingTenant } from '../kernel/viewer.js';
import { builder } from './builder.js';
import { liveKit } from './livekit.js';

interface VoiceStatus {
  configured: boolean;
  url: string | null;
  agentName: string;
}

const VoiceStatusRef = builder.objectRef<VoiceStatus>('VoiceStatus').implement({
  description: 'Whether this deployment can run voice: LiveKit configured, where clients connect.',
  fields: (t) => ({
    configured: t.exposeBoolean('configured', {
      description: 'LiveKit is configured: rooms, calls and inbound routing work (else they answer 503).',
    }),
    url: t.exposeString('url', { nullable: true, description: 'The LiveKit URL clients join rooms at.' }),
    agentName: t.exposeString('agentName', { description: 'The agent name the voice worker registers.' }),
  }),
});

builder.queryField('voiceStatus', (t) =>
  t.field({
    type: VoiceStatusRef,
    description: 'Whether voice is available in this deployment.',
    authScopes: { scope: 'voice:read' },
    resolve: (_root, _args, ctx) => {
      actingTenant(ctx);
      const found = liveKit(ctx.config);
      return {
        configured: found !== null,
        url: found?.url ?? null,
        agentName: ctx.config.LIVEKIT_AGENT_NAME,
      };
    },
  }),
);
