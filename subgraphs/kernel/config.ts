import { z } from 'zod';

/** An empty variable (`OPENAI_API_KEY=`) counts as unset. */
const blankAsUnset = (value: unknown) => (value === '' ? undefined : value);

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
  /** SMTP connection URL (smtp://user:pass@host:port). Unset: mail is only recorded in the email_outbox table. */
  SMTP_URL: z.string().optional(),
  /**
   * "true": keep mail in the email_outbox table without SMTP even under NODE_ENV=production, where a
   * missing SMTP_URL otherwise stops start-up (mail would silently never leave).
   */
  MAIL_OUTBOX_ONLY: z.enum(['true', 'false']).default('false'),
  MAIL_FROM: z.string().default('Agent Platform <no-reply@agent-platform.local>'),
  /** Public base URL of the gateway; links in mail point at its pages unless FRONTEND_URL is set. */
  PUBLIC_URL: z.string().default('http://127.0.0.1:4000'),
  /** Base URL of another frontend serving /verify-email, /reset-password and /signup; links in mail go there. */
  FRONTEND_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .refine((url) => !/[?#]/.test(url), 'must have no query or fragment (paths are appended to it)')
    .optional(),
  /** Key for encrypting secrets at rest (TOTP seeds). Unset: generated once and kept in the database. */
  DATA_ENCRYPTION_KEY: z.string().min(16).optional(),
  /** Emails of platform operators, granted the operator role when they sign in (see README). */
  PLATFORM_OPERATOR_EMAILS: z.string().default(''),
  /**
   * "true": tenant-scoped operations refuse users whose token says the email is unverified (403
   * "Email verification required.", as the legacy API did by default). Off by default here so the
   * embedded default works without a mail server; production deployments should turn it on.
   */
  REQUIRE_EMAIL_VERIFICATION: z.enum(['true', 'false']).default('false'),
  /** Set to "false" to turn rate limits off (load tests only). */
  RATE_LIMITS: z.enum(['true', 'false']).default('true'),
  /** `true`: let @apollo/gateway send its usage telemetry to Apollo (and probe cloud metadata endpoints). */
  APOLLO_TELEMETRY: z.enum(['true', 'false']).default('false'),
  /** Login: failed attempts allowed per client IP in AUTH_LOGIN_WINDOW_SECONDS before 429. */
  AUTH_LOGIN_IP_MAX_FAILURES: z.coerce.number().int().positive().default(50),
  /** Login: attempts (any outcome) allowed per email in the window before 429. */
  AUTH_LOGIN_EMAIL_MAX_ATTEMPTS: z.coerce.number().int().positive().default(10),
  AUTH_LOGIN_WINDOW_SECONDS: z.coerce.number().int().positive().default(600),
  /** Refresh-token rotations allowed per client IP per minute. */
  AUTH_REFRESH_IP_PER_MINUTE: z.coerce.number().int().positive().default(120),
  /** Password-reset requests allowed per email and per client IP per hour. */
  AUTH_PASSWORD_FORGOT_EMAIL_PER_HOUR: z.coerce.number().int().positive().default(5),
  AUTH_PASSWORD_FORGOT_IP_PER_HOUR: z.coerce.number().int().positive().default(20),
  /** Verification emails allowed per user and per client IP per hour. */
  AUTH_EMAIL_VERIFICATION_USER_PER_HOUR: z.coerce.number().int().positive().default(3),
  AUTH_EMAIL_VERIFICATION_IP_PER_HOUR: z.coerce.number().int().positive().default(10),
  /**
   * Signup and request-access rate limits (per client IP per hour and per day, per email and per email
   * domain per day). Unset: the legacy defaults 20 / 100 / 3 / 20 (relaxed to 10000 under NODE_ENV=test).
   */
  SIGNUP_RATE_LIMIT_PER_HOUR: z.coerce.number().int().positive().optional(),
  SIGNUP_RATE_LIMIT_PER_IP_DAY: z.coerce.number().int().positive().optional(),
  SIGNUP_RATE_LIMIT_PER_EMAIL_DAY: z.coerce.number().int().positive().optional(),
  SIGNUP_RATE_LIMIT_PER_DOMAIN_DAY: z.coerce.number().int().positive().optional(),
  /** Pending access requests allowed per client IP. Unset: 3 (10000 under NODE_ENV=test). */
  SIGNUP_CONCURRENT_REQUESTS_LIMIT: z.coerce.number().int().positive().optional(),
  /**
   * Development only: accept `Authorization: Bearer dev-local` on POST /api/v1/auth/service-accounts/issue
   * (the legacy API accepted it when Vault verification was off). Vault is not available here, so
   * without it that endpoint answers 503; browser-issue works either way.
   */
  SERVICE_ACCOUNT_DEV_LOCAL_ISSUANCE: z.enum(['true', 'false']).default('false'),
  /** Service-account issuance bursts: per account (and tenant) and overall, per 60 seconds. */
  SERVICE_ACCOUNT_ISSUE_PER_ACCOUNT_MINUTE: z.coerce.number().int().positive().default(5),
  SERVICE_ACCOUNT_ISSUE_PER_MINUTE: z.coerce.number().int().positive().default(30),
  /**
   * How the embedded layout's gateway reaches its subgraphs for queries and mutations: `in-process`
   * (their schemas executed in the gateway's process) or `http` (their loopback ports, as separate
   * processes are reached). Subscriptions, peer calls and /health always use the ports.
   */
  GATEWAY_SUBGRAPH_TRANSPORT: z.enum(['in-process', 'http']).default('in-process'),
  /** Gateway → subgraph over HTTP: longest wait for a connection, and for an answer. */
  SUBGRAPH_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  SUBGRAPH_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(30000),
  /** Reverse proxies in front of the gateway whose X-Forwarded-For is trusted for the client address (rate limits, sessions). */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /**
   * "true": `http` tools may target private, loopback and link-local addresses, and plain http on
   * loopback (development and tests); otherwise only public https endpoints.
   */
  TOOLS_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false'),
  /** SSE heartbeat period in milliseconds. */
  SSE_HEARTBEAT_MS: z.coerce.number().int().positive().default(15000),
  /** How often an open subscription re-checks its caller's access (membership, session, API key). */
  STREAM_ACCESS_RECHECK_MS: z.coerce.number().int().positive().default(30000),
  /** OpenAI (or a compatible provider) for code-interpreter containers; unset, those operations answer 503. */
  OPENAI_API_KEY: z.preprocess(blankAsUnset, z.string().optional()),
  /** Base URL of the OpenAI-compatible API (default https://api.openai.com/v1). */
  OPENAI_BASE_URL: z.preprocess(
    blankAsUnset,
    z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  ),
  /** Per-request timeout and retries of provider calls (the SDK retries connection errors, 408, 409, 429, 5xx). */
  OPENAI_TIMEOUT_MS: z.coerce.number().int().positive().default(30000),
  OPENAI_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  /**
   * The model API chat turns speak: `chat_completions` (what OpenAI, vLLM, Ollama, llama.cpp and LM
   * Studio all serve) or `responses` (OpenAI's Responses API, needed for provider-hosted tools).
   */
  OPENAI_API: z.enum(['chat_completions', 'responses']).default('chat_completions'),
  /** When set, every agent runs on this model (a local server's model name); else each agent's own. */
  CHAT_MODEL: z.preprocess(blankAsUnset, z.string().optional()),
  /** Chat rate limits per tenant and caller: turns per minute, streamed turns per minute, streams at once. */
  CHAT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(60),
  CHAT_STREAM_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(30),
  CHAT_STREAM_CONCURRENT_LIMIT: z.coerce.number().int().positive().default(5),
  /**
   * The longest a turn runs: past it the run is stopped (`incomplete`); a turn whose replica died is
   * closed as `failed` by the next reader once this and a grace period have passed.
   */
  CHAT_TURN_TIMEOUT_MS: z.coerce.number().int().positive().default(600_000),
  /** Code-interpreter containers: live containers per tenant, memory tiers allowed (comma-separated), default tier. */
  CONTAINER_MAX_PER_TENANT: z.coerce.number().int().positive().default(10),
  CONTAINER_ALLOWED_MEMORY_TIERS: z.string().default('1g,4g,16g,64g'),
  CONTAINER_DEFAULT_MEMORY_LIMIT: z.enum(['1g', '4g', '16g', '64g']).default('1g'),
  /**
   * Where file bytes live: `local` (disk under DATA_DIR, URLs signed by the platform and served by
   * the gateway) or `s3` (any S3-compatible service, presigned by the AWS SDK).
   */
  STORAGE_PROVIDER: z.enum(['local', 's3']).default('local'),
  S3_ENDPOINT: z.preprocess(blankAsUnset, z.url({ protocol: /^https?$/ }).optional()),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.preprocess(blankAsUnset, z.string().optional()),
  S3_ACCESS_KEY_ID: z.preprocess(blankAsUnset, z.string().optional()),
  S3_SECRET_ACCESS_KEY: z.preprocess(blankAsUnset, z.string().optional()),
  /** `true` for MinIO and most self-hosted S3 servers (bucket in the path, not the host name). */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  /**
   * HMAC key of the local store's signed URLs. Unset: derived from the data encryption key (the
   * embedded default); a gateway started alone needs it set to the subgraphs' value.
   */
  STORAGE_SIGNING_KEY: z.preprocess(blankAsUnset, z.string().min(16).optional()),
  /** Where `POST /api/v1/contact` mails what visitors write. Unset: the contact form answers 503. */
  CONTACT_EMAIL_TO: z.preprocess(blankAsUnset, z.email().optional()),
  /** Contact form submissions per hour, per sender address and per client IP (legacy 3 and 20; relaxed under NODE_ENV=test). */
  CONTACT_RATE_LIMIT_PER_EMAIL_HOUR: z.coerce.number().int().positive().optional(),
  CONTACT_RATE_LIMIT_PER_IP_HOUR: z.coerce.number().int().positive().optional(),
  /**
   * HMAC-SHA256 key for anonymous frontend logs (`POST /api/v1/logs` with `X-Log-Signature`, the hex
   * HMAC of the raw body). Unset: logs need a bearer token.
   */
  FRONTEND_LOG_SHARED_SECRET: z.preprocess(blankAsUnset, z.string().min(16).optional()),
  /** Frontend log events per minute, per signed-in caller or per client IP (default 120; relaxed under NODE_ENV=test). */
  FRONTEND_LOG_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().optional(),
  /** Status subscriptions per hour and client IP: email (legacy 5) and webhook (legacy 20); relaxed under NODE_ENV=test. */
  STATUS_SUBSCRIPTION_EMAIL_RATE_LIMIT_PER_HOUR: z.coerce.number().int().positive().optional(),
  STATUS_SUBSCRIPTION_WEBHOOK_RATE_LIMIT_PER_HOUR: z.coerce.number().int().positive().optional(),
  /**
   * "true" lets status webhooks target http:// and private, loopback or link-local addresses: for
   * development and tests only (otherwise a subscriber could make the platform call inside its network).
   */
  STATUS_WEBHOOK_ALLOW_PRIVATE_TARGETS: z.enum(['true', 'false']).default('false'),
  /** How long activity feed entries are kept (then pruned, with their receipts). */
  ACTIVITY_EVENTS_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  /** Lifetime of presigned upload and download URLs. */
  STORAGE_SIGNED_URL_TTL_SECONDS: z.coerce.number().int().min(30).max(604800).default(900),
  /** Largest object a presigned upload accepts, and the MIME types it accepts (comma-separated). */
  STORAGE_MAX_FILE_MB: z.coerce.number().positive().default(512),
  STORAGE_ALLOWED_MIME_TYPES: z
    .string()
    .default(
      'application/json,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/vnd.openxmlformats-officedocument.presentationml.presentation,application/msword,text/plain,text/markdown,text/csv,text/x-python,text/x-javascript,application/javascript,text/html,image/png,image/jpeg,image/webp',
    ),
  /** Largest file `POST /api/tenants/{id}/files` accepts in one request (bigger: upload to storage first). */
  FILES_MAX_UPLOAD_MB: z.coerce.number().positive().default(50),
  /** Vector stores: stores per tenant, files per store, largest file (legacy limits). */
  VECTOR_MAX_STORES_PER_TENANT: z.coerce.number().int().positive().default(10),
  VECTOR_MAX_FILES_PER_STORE: z.coerce.number().int().positive().default(5000),
  VECTOR_MAX_FILE_MB: z.coerce.number().positive().default(512),
  /**
   * `local`: a deterministic hashing embedder in process (no network; lexical quality, see the
   * knowledge README). `openai`: EMBEDDINGS_MODEL on the OpenAI-compatible `/v1/embeddings` of
   * OPENAI_BASE_URL with OPENAI_API_KEY.
   */
  EMBEDDINGS_PROVIDER: z.enum(['local', 'openai']).default('local'),
  EMBEDDINGS_MODEL: z.string().default('text-embedding-3-small'),
  /** Size of the stored vectors; changing it (or the model) is `npm run knowledge:reembed`. */
  EMBEDDINGS_DIMENSIONS: z.coerce.number().int().min(8).max(2000).default(384),
  /** Texts per embeddings request. */
  EMBEDDINGS_BATCH_SIZE: z.coerce.number().int().min(1).max(2048).default(64),
  /** Default chunking (OpenAI's `static` strategy defaults): tokens per chunk and overlap. */
  KNOWLEDGE_CHUNK_TOKENS: z.coerce.number().int().min(100).max(4096).default(800),
  KNOWLEDGE_CHUNK_OVERLAP_TOKENS: z.coerce.number().int().min(0).max(2048).default(400),
  /**
   * HNSW candidates kept per search (pgvector's `hnsw.ef_search`, at least 2 × k): higher finds more
   * of the true nearest neighbours, slower (bench row P5 shows recall@10 per value).
   */
  KNOWLEDGE_HNSW_EF_SEARCH: z.coerce.number().int().min(10).max(1000).default(200),
  /** Full-text candidates ranked at most per search when any query term may match (bounds a common word's cost). */
  KNOWLEDGE_TEXT_MATCH_CAP: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  /** Ingest jobs run at once per process. */
  INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /** Background jobs: a claimed job's lease (a live worker renews it), and how often idle workers look. */
  JOB_LEASE_MS: z.coerce.number().int().min(500).default(30000),
  JOB_POLL_MS: z.coerce.number().int().min(10).default(500),
  /**
   * LiveKit (server SDK over Twirp): the server URL (`wss://…` or `https://…`), API key and secret.
   * Unset: room and SIP operations answer 503 naming these settings; reads still work.
   */
  LIVEKIT_URL: z.preprocess(
    blankAsUnset,
    z.url({ protocol: /^(https?|wss?)$/, message: 'must be an http(s) or ws(s) URL' }).optional(),
  ),
  LIVEKIT_API_KEY: z.preprocess(blankAsUnset, z.string().optional()),
  LIVEKIT_API_SECRET: z.preprocess(blankAsUnset, z.string().optional()),
  /** The agent name the voice worker registers (explicit dispatch sends every agent to this worker). */
  LIVEKIT_AGENT_NAME: z.string().min(1).max(128).default('agent-platform-voice'),
  /** The SIP trunk outbound calls use when a call names none (its LiveKit metadata need not name a tenant). */
  LIVEKIT_SIP_OUTBOUND_TRUNK_ID: z.preprocess(blankAsUnset, z.string().optional()),
  /** How long a dispatched agent may take to join before the session or call is `failed` (agent_not_joined). */
  VOICE_AGENT_JOIN_TIMEOUT_MS: z.coerce.number().int().min(100).default(30000),
  /** How long an outbound call rings before it is `failed` (no_answer). */
  VOICE_RINGING_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  /** Longest outbound call. */
  VOICE_MAX_CALL_DURATION_SECONDS: z.coerce.number().int().min(60).default(3600),
  /** Participant tokens: default and longest lifetime. */
  VOICE_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(3600),
  VOICE_TOKEN_MAX_TTL_SECONDS: z.coerce.number().int().min(60).default(86400),
  /** Lifetime of the platform credential a voice worker gets for one session or call. */
  VOICE_AGENT_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(14400),
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
