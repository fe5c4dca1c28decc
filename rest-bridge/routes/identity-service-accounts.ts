import type { FieldAliases, RestRoute } from './types.js';

export const identityServiceAccountsRoutes: RestRoute[] = [];

export const identityServiceAccountsAliases: FieldAliases = {};

export const identityServiceAccountsIgnored: string[] = [];
