import { IDENTITY_MODELS } from '../../subgraphs/identity/db.js';
export const probe = IDENTITY_MODELS;
