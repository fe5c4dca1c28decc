import type { RestSurface } from '../../rest-bridge/routes/types.js';
import { MAX_LOG_BYTES } from './logs/log.service.js';

/** The REST face of platform: the legacy usage counters, contact form and frontend log ingest. */
export const platformRest: RestSurface = {
  routes: [
    {
      field: 'Query.usage',
      method: 'GET',
      path: '/api/v1/usage',
      tags: ['usage'],
      summary: 'List Usage',
    },
    {
      field: 'Mutation.submitContactForm',
      method: 'POST',
      path: '/api/v1/contact',
      status: 202,
      envelope: { message: "Thanks for reaching out. We'll respond soon." },
      tags: ['contact'],
      summary: 'Submit Contact',
    },
    {
      field: 'Mutation.ingestFrontendLog',
      method: 'POST',
      path: '/api/v1/logs',
      status: 202,
      maxBodyBytes: MAX_LOG_BYTES,
      signed: {
        body: 'body',
        headers: { 'x-log-signature': 'signature' },
        contentType: 'application/json',
        credential: 'optional',
      },
      tags: ['logs'],
      summary: 'Ingest Frontend Log',
    },
  ],
};
