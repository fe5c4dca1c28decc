import type { RestSurface } from '../../rest-bridge/routes/types.js';
import { callRoutes } from './calls/rest.js';
import { inboundRoutes } from './inbound/rest.js';
import { sessionRoutes } from './sessions/rest.js';
import { tokenRoutes } from './tokens/rest.js';

const TENANT = '/api/tenants/{tenant_id}';

/** The REST face of voice: seed 003's sessions, tokens, calls and inbound mappings, the webhook, the event streams. */
export const voiceRest: RestSurface = {
  routes: [
    ...sessionRoutes,
    ...tokenRoutes,
    ...callRoutes,
    ...inboundRoutes,
    {
      field: 'Mutation.receiveLiveKitWebhook',
      method: 'POST',
      path: '/api/webhooks/livekit',
      signed: {
        body: 'body',
        headers: { authorization: 'signature' },
        contentType: 'application/webhook+json',
      },
      tags: ['voice'],
      summary: 'LiveKit webhook receiver (signed by the LiveKit API key; each event applied once)',
    },
  ],
  streams: [
    {
      method: 'GET',
      path: `${TENANT}/sessions/{session_id}/events`,
      precheck:
        'query VoiceSessionExists($tenantId: ID!, $id: ID!) { voiceSession(tenantId: $tenantId, sessionId: $id) { id } }',
      subscription: `subscription VoiceSessionStream($id: ID!, $after: String) {
        voiceSessionEvents(sessionId: $id, after: $after) {
          cursor kind sessionId callId status reason sipStatusCode sipStatus participantIdentity participantKind role text timestamp
        }
      }`,
      field: 'voiceSessionEvents',
      eventType: 'VoiceEvent',
      variables: ({ params, after }) => ({
        tenantId: params.tenant_id ?? '',
        id: params.session_id ?? '',
        after,
      }),
      tags: ['voice'],
      summary: 'Stream a voice session’s events (Last-Event-ID resumes)',
    },
    {
      method: 'GET',
      path: `${TENANT}/calls/{call_id}/events`,
      precheck:
        'query VoiceCallExists($tenantId: ID!, $id: ID!) { voiceCall(tenantId: $tenantId, callId: $id) { id } }',
      subscription: `subscription CallStream($id: ID!, $after: String) {
        callEvents(callId: $id, after: $after) {
          cursor kind sessionId callId status reason sipStatusCode sipStatus participantIdentity participantKind role text timestamp
        }
      }`,
      field: 'callEvents',
      eventType: 'VoiceEvent',
      variables: ({ params, after }) => ({
        tenantId: params.tenant_id ?? '',
        id: params.call_id ?? '',
        after,
      }),
      tags: ['voice'],
      summary: 'Stream a call’s events (Last-Event-ID resumes)',
    },
  ],
};
