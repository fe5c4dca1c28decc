import type { FieldAliases, RestRoute } from './types.js';

export const identitySignupRoutes: RestRoute[] = [];

export const identitySignupAliases: FieldAliases = {};

export const identitySignupIgnored: string[] = [];
