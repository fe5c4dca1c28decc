import { TENANTS_MODELS } from '../tenants/db.js';
export const probe = TENANTS_MODELS;
