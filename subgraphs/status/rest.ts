import type { RestSurface } from '../../rest-bridge/routes/types.js';

const STATUS = '/api/v1/status';

/** The REST face of status: the legacy public status page, its RSS feed and subscriptions. */
export const statusRest: RestSurface = {
  routes: [
    {
      field: 'Query.platformStatus',
      method: 'GET',
      path: STATUS,
      tags: ['status'],
      summary: 'Get Platform Status',
    },
    {
      field: 'Query.platformStatusRss',
      method: 'GET',
      path: `${STATUS}/rss`,
      text: { contentType: 'application/rss+xml; charset=utf-8' },
      tags: ['status'],
      summary: 'Get Platform Status Rss',
    },
    {
      field: 'Mutation.createStatusSubscription',
      method: 'POST',
      path: `${STATUS}/subscriptions`,
      status: 201,
      tags: ['status'],
      summary: 'Create Status Subscription',
    },
    {
      field: 'Query.statusSubscriptions',
      method: 'GET',
      path: `${STATUS}/subscriptions`,
      tags: ['status'],
      summary: 'List Status Subscriptions',
    },
    {
      field: 'Mutation.verifyStatusSubscription',
      method: 'POST',
      path: `${STATUS}/subscriptions/verify`,
      tags: ['status'],
      summary: 'Verify Status Subscription',
    },
    {
      field: 'Mutation.answerStatusSubscriptionChallenge',
      method: 'POST',
      path: `${STATUS}/subscriptions/challenge`,
      tags: ['status'],
      summary: 'Confirm Webhook Challenge',
    },
    {
      field: 'Mutation.deleteStatusSubscription',
      method: 'DELETE',
      path: `${STATUS}/subscriptions/{subscription_id}`,
      status: 204,
      tags: ['status'],
      summary: 'Revoke Status Subscription',
    },
    {
      field: 'Mutation.resendStatusIncident',
      method: 'POST',
      path: `${STATUS}/incidents/{incident_id}/resend`,
      status: 202,
      tags: ['status'],
      summary: 'Resend Incident Notification',
    },
  ],
  /** GraphQL-only: the incident's severity and end (the legacy page had neither). */
  ignored: ['StatusIncident.severity', 'StatusIncident.resolvedAt'],
};
