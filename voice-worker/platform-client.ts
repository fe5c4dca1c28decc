/**
 * The voice worker's client of the platform's GraphQL API (through the gateway): claim a job, then,
 * as the run (its agent-run token), read the run plan, invoke tools and record the transcript.
 * Plain fetch, no LiveKit: everything here runs in tests against a real stack.
 */

/** An error the platform answered (its `extensions.code`) or a transport failure (`UNREACHABLE`). */
export class PlatformError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PlatformError';
  }
}

export interface VoiceAgentJob {
  kind: 'SESSION' | 'CALL';
  tenantId: string;
  agentId: string;
  agentKey: string;
  sessionId: string | null;
  callId: string | null;
  direction: string | null;
  conversationId: string;
  accessToken: string;
  expiresAt: string;
}

export interface PlanTool {
  name: string;
  kind: 'builtin' | 'http' | 'provider' | string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface PlanAgent {
  key: string;
  displayName: string;
  instructions: string;
  model: string;
  temperature: number | null;
  maxOutputTokens: number | null;
  tools: PlanTool[];
  voice: VoiceSettings | null;
}

/** The runtime config's voice settings, as the agents subgraph stores them. */
export interface VoiceSettings {
  stt?: { provider?: string; model?: string | null; language?: string | null } | null;
  tts?: { provider?: string; voice?: string | null } | null;
  language?: string | null;
  turnDetection?: { mode?: string; silenceMs?: number | null } | null;
}

export interface ToolResult {
  output: unknown;
  isError: boolean;
  error: string | null;
}

export interface TranscriptLine {
  role: 'user' | 'assistant';
  text: string;
  at?: string;
}

const CLAIM = `mutation ClaimVoiceAgentJob($workerToken: String!, $room: String!, $callerNumber: String) {
  claimVoiceAgentJob(workerToken: $workerToken, room: $room, callerNumber: $callerNumber) {
    kind tenantId agentId agentKey sessionId callId direction conversationId accessToken expiresAt
  }
}`;

const PLAN = `query VoiceRunPlan($agentKey: String!) {
  agentRunPlan(agentKey: $agentKey) {
    entry { key displayName instructions model temperature maxOutputTokens voice
      tools { name kind description parameters } }
  }
}`;

const INVOKE = `mutation VoiceInvokeTool($agentKey: String!, $toolName: String!, $arguments: JSON!, $conversationId: ID) {
  invokeAgentTool(agentKey: $agentKey, toolName: $toolName, arguments: $arguments, conversationId: $conversationId) {
    output isError error
  }
}`;

const TRANSCRIPT = `mutation VoiceTranscript($lines: [VoiceTranscriptLineInput!]!) {
  recordVoiceTranscript(lines: $lines) { recorded conversationId messageCount }
}`;

/** Where the platform is and how long a request may take. */
export interface PlatformOptions {
  /** The gateway's base URL (`http://127.0.0.1:4000`); `/graphql` is appended. */
  url: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class PlatformClient {
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: PlatformOptions) {
    this.endpoint = new URL('/graphql', options.url).toString();
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** One GraphQL operation; the first error becomes a PlatformError with its code. */
  async request<T>(query: string, variables: Record<string, unknown>, token?: string | null): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'agent-platform-voice-worker/1',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new PlatformError(
        'UNREACHABLE',
        `The platform at ${this.endpoint} is unreachable: ${(error as Error).message}`,
      );
    }
    const body = (await response.json().catch(() => null)) as {
      data?: T | null;
      errors?: { message: string; extensions?: { code?: string } }[];
    } | null;
    const first = body?.errors?.[0];
    if (first) {
      throw new PlatformError(first.extensions?.code ?? 'INTERNAL', first.message);
    }
    if (!body?.data) {
      throw new PlatformError('BAD_GATEWAY', `The platform answered HTTP ${response.status} without data.`);
    }
    return body.data;
  }

  /** Claims the job of `room` with a LiveKit-signed worker token; no platform credential. */
  async claimJob(workerToken: string, room: string, callerNumber?: string | null): Promise<VoiceAgentJob> {
    const data = await this.request<{ claimVoiceAgentJob: VoiceAgentJob }>(CLAIM, {
      workerToken,
      room,
      callerNumber: callerNumber ?? null,
    });
    return data.claimVoiceAgentJob;
  }

  /** The client of one run: every call carries the run's token (`token()` may renew it). */
  forRun(token: () => Promise<string> | string): RunClient {
    return new RunClient(this, token);
  }
}

/** What a run asks of the platform, as its agent-run token. */
export class RunClient {
  constructor(
    private readonly platform: PlatformClient,
    private readonly token: () => Promise<string> | string,
  ) {}

  async request<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    return this.platform.request<T>(query, variables, await this.token());
  }

  /** The entry agent of the run plan for `agentKey` (the run's own; others are 403). */
  async runPlan(agentKey: string): Promise<PlanAgent> {
    const data = await this.request<{ agentRunPlan: { entry: PlanAgent } }>(PLAN, { agentKey });
    return data.agentRunPlan.entry;
  }

  async invokeTool(
    agentKey: string,
    toolName: string,
    args: unknown,
    conversationId: string | null,
  ): Promise<ToolResult> {
    const data = await this.request<{ invokeAgentTool: ToolResult }>(INVOKE, {
      agentKey,
      toolName,
      arguments: args ?? {},
      conversationId,
    });
    return data.invokeAgentTool;
  }

  async recordTranscript(
    lines: readonly TranscriptLine[],
  ): Promise<{ recorded: number; conversationId: string; messageCount: number }> {
    const data = await this.request<{
      recordVoiceTranscript: { recorded: number; conversationId: string; messageCount: number };
    }>(TRANSCRIPT, {
      lines: lines.map((l) => ({ role: l.role.toUpperCase(), text: l.text, ...(l.at ? { at: l.at } : {}) })),
    });
    return data.recordVoiceTranscript;
  }
}
