import type { FieldAliases, RestRoute } from './types.js';

export const tenantUsersRoutes: RestRoute[] = [];

export const tenantUsersAliases: FieldAliases = {};

export const tenantUsersIgnored: string[] = [];
