import { z } from 'zod';

/** Every setting the platform reads from the environment, validated once at start-up. */
const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** PostgreSQL connection string. Unset: the embedded PGlite database under DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().default('./.data'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Port of a subgraph started alone (`npm run start:subgraph -- <name>`); 0 picks a free one. */
  SUBGRAPH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Signup policy of the deployment: public, invite_only or approval. */
  SIGNUP_ACCESS_POLICY: z.enum(['public', 'invite_only', 'approval']).default('public'),
  AUTH_ISSUER: z.string().default('agent-platform'),
  /** Comma-separated audiences accepted on access tokens; the first is the one issued. */
  AUTH_AUDIENCE: z.string().default('agent-api'),
  ACCESS_TOKEN_TTL_MINUTES: z.coerce.number().int().positive().default(30),
  REFRESH_TOKEN_TTL_MINUTES: z.coerce.number().int().positive().default(43200),
  /** Private EdDSA (Ed25519) key as a JWK JSON string. Unset: a key is generated and kept in the database. */
  JWT_PRIVATE_JWK: z.string().optional(),
  /** GraphQL hardening limits, applied at the gateway (HTTP and websocket). */
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().default(12),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().positive().default(30),
  GRAPHQL_MAX_COST: z.coerce.number().int().positive().default(5000),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().positive().default(5000),
  /** SMTP connection URL (smtp://user:pass@host:port). Unset: mail goes to the email_outbox table and the log. */
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default('Agent Platform <no-reply@agent-platform.local>'),
  /** Public base URL used in links sent by email. */
  PUBLIC_URL: z.string().default('http://127.0.0.1:4000'),
  /** Key for encrypting secrets at rest (TOTP seeds). Unset: generated once and kept in the database. */
  DATA_ENCRYPTION_KEY: z.string().min(16).optional(),
  /** Emails of platform operators, granted the operator role when they sign in (see README). */
  PLATFORM_OPERATOR_EMAILS: z.string().default(''),
  /** Set to "false" to turn rate limits off (load tests only). */
  RATE_LIMITS: z.enum(['true', 'false']).default('true'),
  /** SSE heartbeat period in milliseconds. */
  SSE_HEARTBEAT_MS: z.coerce.number().int().positive().default(15000),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Parses a configuration from an environment (defaults to `process.env`); throws a readable error. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}

/** The URL of a subgraph when subgraphs run as separate processes: SUBGRAPH_<NAME>_URL. */
export function subgraphUrlFromEnv(name: string, env: Record<string, string | undefined> = process.env) {
  return env[`SUBGRAPH_${name.toUpperCase()}_URL`];
}
