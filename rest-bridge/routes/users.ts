import type { FieldAliases, RestRoute } from './types.js';

export const usersRoutes: RestRoute[] = [];

export const usersAliases: FieldAliases = {};

export const usersIgnored: string[] = [];
