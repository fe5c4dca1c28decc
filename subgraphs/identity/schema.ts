import { toSubgraphSchema } from '../kernel/federation.js';
import { builder } from './builder.js';
import './types.graphql.js';
import './user.graphql.js';
import './session.graphql.js';
import './sessions.graphql.js';
import './password-flows.graphql.js';
import './email-verification.graphql.js';
import './mfa.graphql.js';
import './preferences.graphql.js';
import './signup.graphql.js';
import './signup-requests.graphql.js';
import './invites.graphql.js';
import './service-accounts.graphql.js';
import './members.graphql.js';

export const schema = toSubgraphSchema(builder);
