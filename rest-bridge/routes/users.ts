import type { FieldAliases, RestRoute } from './types.js';

export const usersRoutes: RestRoute[] = [
  {
    field: 'Mutation.recordConsent',
    method: 'POST',
    path: '/api/v1/users/consents',
    status: 201,
    envelope: { message: 'Consent recorded.', data: 'none' },
    tags: ['users'],
    summary: 'Record a policy consent',
  },
  {
    field: 'Query.consents',
    method: 'GET',
    path: '/api/v1/users/consents',
    tags: ['users'],
    summary: 'List policy consents',
  },
  {
    field: 'Mutation.setNotificationPreference',
    method: 'PUT',
    path: '/api/v1/users/notification-preferences',
    tags: ['users'],
    summary: 'Set a notification preference',
  },
  {
    field: 'Query.notificationPreferences',
    method: 'GET',
    path: '/api/v1/users/notification-preferences',
    tags: ['users'],
    summary: 'List notification preferences',
  },
];

export const usersAliases: FieldAliases = {};

export const usersIgnored: string[] = [];
