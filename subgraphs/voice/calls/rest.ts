import type { RestRoute } from '../../../rest-bridge/routes/types.js';

const BASE = '/api/tenants/{tenant_id}/calls';

/** Outbound calls (`/api/tenants/{tenant_id}/calls`); their event stream is declared in ../rest.ts. */
export const callRoutes: RestRoute[] = [
  {
    field: 'Mutation.createVoiceCall',
    method: 'POST',
    path: BASE,
    status: 201,
    tags: ['voice'],
    summary: 'Create an outbound call with an agent (not dialled until started)',
  },
  {
    field: 'Query.voiceCalls',
    method: 'GET',
    path: BASE,
    tags: ['voice'],
    summary: 'List calls, newest first',
  },
  {
    field: 'Query.voiceCall',
    method: 'GET',
    path: `${BASE}/{call_id}`,
    tags: ['voice'],
    summary: 'Get a call',
  },
  {
    field: 'Mutation.startVoiceCall',
    method: 'POST',
    path: `${BASE}/{call_id}/start`,
    tags: ['voice'],
    summary: 'Start a call: room, agent dispatch, then the SIP dial',
  },
  {
    field: 'Mutation.stopVoiceCall',
    method: 'POST',
    path: `${BASE}/{call_id}/stop`,
    tags: ['voice'],
    summary: 'Stop a call (its room is deleted)',
  },
];
