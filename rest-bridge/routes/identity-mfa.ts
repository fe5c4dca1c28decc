import type { FieldAliases, RestRoute } from './types.js';

export const identityMfaRoutes: RestRoute[] = [];

export const identityMfaAliases: FieldAliases = {};

export const identityMfaIgnored: string[] = [];
