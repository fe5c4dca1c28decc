import type { RestSurface } from '../../rest-bridge/routes/types.js';

/** The REST face of activity: the legacy `/api/v1/activity` feed, its receipts and its stream. */
export const activityRest: RestSurface = {
  routes: [
    {
      field: 'Query.activity',
      method: 'GET',
      path: '/api/v1/activity',
      tags: ['activity'],
      summary: 'List Activity',
    },
    {
      field: 'Mutation.markActivityRead',
      method: 'POST',
      path: '/api/v1/activity/{event_id}/read',
      tags: ['activity'],
      summary: 'Mark Read',
    },
    {
      field: 'Mutation.dismissActivity',
      method: 'POST',
      path: '/api/v1/activity/{event_id}/dismiss',
      tags: ['activity'],
      summary: 'Dismiss',
    },
    {
      field: 'Mutation.markAllActivityRead',
      method: 'POST',
      path: '/api/v1/activity/mark-all-read',
      tags: ['activity'],
      summary: 'Mark All Read',
    },
  ],
  streams: [
    {
      method: 'GET',
      path: '/api/v1/activity/stream',
      precheck: 'query ActivityReadable { activity(limit: 1) { unreadCount } }',
      subscription: `subscription ActivityStream($after: String) {
        activityEvents(after: $after) {
          cursor id tenantId action createdAt actorId actorType actorRole objectType objectId objectName status source requestId metadata readState
        }
      }`,
      field: 'activityEvents',
      eventType: 'ActivityStreamEvent',
      variables: ({ after }) => ({ after }),
      tags: ['activity'],
      summary:
        'Stream the tenant’s activity feed: the last day first, then live (Last-Event-ID resumes; 0 replays it all)',
    },
  ],
};
