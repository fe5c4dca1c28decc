import type { RestRoute } from '../../../rest-bridge/routes/types.js';

const BASE = '/api/tenants/{tenant_id}/sessions';

/** Voice sessions (`/api/tenants/{tenant_id}/sessions`): one agent in one LiveKit room. */
export const sessionRoutes: RestRoute[] = [
  {
    field: 'Mutation.createVoiceSession',
    method: 'POST',
    path: BASE,
    status: 201,
    tags: ['voice'],
    summary: 'Create a voice session (no room yet: start it)',
  },
  {
    field: 'Query.voiceSessions',
    method: 'GET',
    path: BASE,
    tags: ['voice'],
    summary: 'List voice sessions, newest first',
  },
  {
    field: 'Query.voiceSession',
    method: 'GET',
    path: `${BASE}/{session_id}`,
    tags: ['voice'],
    summary: 'Get a voice session',
  },
  {
    field: 'Mutation.startVoiceSession',
    method: 'POST',
    path: `${BASE}/{session_id}/start`,
    tags: ['voice'],
    summary: 'Start a voice session: create its room and dispatch the agent',
  },
  {
    field: 'Mutation.stopVoiceSession',
    method: 'POST',
    path: `${BASE}/{session_id}/stop`,
    tags: ['voice'],
    summary: 'Stop a voice session: end its room',
  },
  {
    field: 'Mutation.attachVoiceSession',
    method: 'POST',
    path: `${BASE}/{session_id}/attach`,
    tags: ['voice'],
    summary: 'A participant token to join a started voice session',
  },
  {
    field: 'Mutation.deleteVoiceSession',
    method: 'DELETE',
    path: `${BASE}/{session_id}`,
    status: 204,
    tags: ['voice'],
    summary: 'Delete a voice session (a live one is stopped first)',
  },
];
