/**
 * Everything a voice job needs before media starts, without LiveKit's agent runtime: the worker's
 * settings, the dispatch metadata, the worker's proof (a LiveKit token for the room), the claim,
 * the run plan and the tools, and the speech settings the plugins are built from.
 */
import { AccessToken } from 'livekit-server-sdk';
import type { DispatchMetadata } from '../subgraphs/voice/dispatch.js';
import type {
  PlanAgent,
  PlatformClient,
  RunClient,
  VoiceAgentJob,
  VoiceSettings,
} from './platform-client.js';
import { type VoiceToolDefinition, voiceTools } from './tools.js';

export type { DispatchMetadata };

export interface WorkerSettings {
  /** The platform's gateway (PLATFORM_URL, default http://127.0.0.1:4000: the gateway's default port). */
  platformUrl: string;
  livekitUrl: string | null;
  livekitApiKey: string | null;
  livekitApiSecret: string | null;
  /** The name the worker registers for explicit dispatch (the platform dispatches to it). */
  agentName: string;
  openaiApiKey: string | null;
  /** An OpenAI-compatible server (OPENAI_BASE_URL), else OpenAI. */
  openaiBaseUrl: string | null;
  /** Models when the voice settings name none. */
  sttModel: string;
  ttsModel: string;
}

const blank = (v: string | undefined) => (v?.trim() ? v.trim() : null);

export function workerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  return {
    platformUrl: blank(env.PLATFORM_URL) ?? 'http://127.0.0.1:4000',
    livekitUrl: blank(env.LIVEKIT_URL),
    livekitApiKey: blank(env.LIVEKIT_API_KEY),
    livekitApiSecret: blank(env.LIVEKIT_API_SECRET),
    agentName: blank(env.LIVEKIT_AGENT_NAME) ?? 'agent-platform-voice',
    openaiApiKey: blank(env.OPENAI_API_KEY),
    openaiBaseUrl: blank(env.OPENAI_BASE_URL),
    sttModel: blank(env.VOICE_STT_MODEL) ?? 'gpt-4o-mini-transcribe',
    ttsModel: blank(env.VOICE_TTS_MODEL) ?? 'gpt-4o-mini-tts',
  };
}

/** The dispatch metadata of a job (a JSON string), or an error naming what is wrong. */
export function parseDispatchMetadata(raw: string | undefined): DispatchMetadata {
  let value: unknown;
  try {
    value = JSON.parse(raw || 'null');
  } catch {
    throw new Error('The job metadata is not JSON: the job was not dispatched by the platform.');
  }
  const m = (value ?? {}) as Partial<DispatchMetadata>;
  if (m.platform !== 'agent-platform' || typeof m.tenant_id !== 'string' || typeof m.agent_key !== 'string') {
    throw new Error('The job metadata is not the platform’s dispatch metadata.');
  }
  if (!['session', 'call', 'inbound'].includes(String(m.kind))) {
    throw new Error(`Unknown job kind ${String(m.kind)}.`);
  }
  return m as DispatchMetadata;
}

/**
 * The worker's proof for one room: a short-lived LiveKit token, signed with the API secret only
 * LiveKit and its workers hold, granting `agent` on that room. The platform verifies it.
 */
export async function workerToken(apiKey: string, apiSecret: string, room: string): Promise<string> {
  const token = new AccessToken(apiKey, apiSecret, { identity: 'voice-worker', ttl: '2m' });
  token.addGrant({ agent: true, room });
  return token.toJwt();
}

export interface PreparedVoiceJob {
  metadata: DispatchMetadata;
  job: VoiceAgentJob;
  /** The run's client (its token renewed by claiming again before it expires). */
  run: RunClient;
  agent: PlanAgent;
  tools: Record<string, VoiceToolDefinition>;
  speech: SpeechSettings;
}

export interface PrepareDeps {
  platform: PlatformClient;
  apiKey: string;
  apiSecret: string;
  /** Inbound calls: the caller's number. */
  callerNumber?: string | null;
  settings?: Pick<WorkerSettings, 'sttModel' | 'ttsModel'>;
  /** Renew the run token this long before it expires (ms). */
  renewBeforeMs?: number;
}

/**
 * Claims the job of `room`, reads the run plan of its agent and builds its tools. The run's token is
 * renewed by claiming again (idempotent) when it nears its expiry.
 */
export async function prepareVoiceJob(
  metadata: DispatchMetadata,
  room: string,
  deps: PrepareDeps,
): Promise<PreparedVoiceJob> {
  const claim = async () =>
    deps.platform.claimJob(await workerToken(deps.apiKey, deps.apiSecret, room), room, deps.callerNumber);
  let job = await claim();
  if (job.agentKey !== metadata.agent_key || job.tenantId !== metadata.tenant_id) {
    // The room is authoritative; a mismatch means the dispatch is stale (the agent's key changed).
    console.warn(
      `voice-worker: room ${room} runs agent ${job.agentKey} of tenant ${job.tenantId}; the dispatch named ${metadata.agent_key}`,
    );
  }
  const renewBefore = deps.renewBeforeMs ?? 5 * 60_000;
  let renewing: Promise<VoiceAgentJob> | null = null;
  const run = deps.platform.forRun(async () => {
    if (Date.parse(job.expiresAt) - Date.now() < renewBefore) {
      renewing ??= claim().finally(() => {
        renewing = null;
      });
      job = await renewing;
    }
    return job.accessToken;
  });
  const agent = await run.runPlan(job.agentKey);
  const tools = voiceTools(agent.tools, run, job.agentKey, job.conversationId);
  const speech = speechSettings(agent, metadata.voice as VoiceSettings | null, deps.settings);
  return { metadata, job, run, agent, tools, speech };
}

/** What the OpenAI plugin's STT, LLM and TTS are built from. */
export interface SpeechSettings {
  stt: { model: string; language: string };
  tts: { model: string; voice: string };
  llm: { model: string; temperature: number | undefined };
  /** `server_vad` / `semantic_vad` (the STT's own endpointing) or `vad` (the session's Silero VAD). */
  turnDetection: { mode: string; silenceMs: number | null };
  /** Providers named in the settings that this worker cannot run (it uses OpenAI's instead). */
  unsupported: string[];
}

const OPENAI_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'onyx',
  'nova',
  'sage',
  'shimmer',
  'verse',
];

/**
 * The speech settings of a run: the plan's voice settings (the bound runtime config version), else
 * the dispatch's, else defaults. Only OpenAI's plugin is installed: another provider is reported in
 * `unsupported` and OpenAI's models are used.
 */
export function speechSettings(
  agent: Pick<PlanAgent, 'model' | 'temperature' | 'voice'>,
  dispatched: VoiceSettings | null,
  defaults: Pick<WorkerSettings, 'sttModel' | 'ttsModel'> = {
    sttModel: 'gpt-4o-mini-transcribe',
    ttsModel: 'gpt-4o-mini-tts',
  },
): SpeechSettings {
  const voice = agent.voice ?? dispatched ?? {};
  const unsupported: string[] = [];
  const sttProvider = voice.stt?.provider?.toLowerCase();
  const ttsProvider = voice.tts?.provider?.toLowerCase();
  if (sttProvider && sttProvider !== 'openai') {
    unsupported.push(`stt:${sttProvider}`);
  }
  if (ttsProvider && ttsProvider !== 'openai') {
    unsupported.push(`tts:${ttsProvider}`);
  }
  const language = (voice.stt?.language ?? voice.language ?? 'en').split('-')[0] as string;
  const requestedVoice = voice.tts?.voice?.toLowerCase() ?? 'alloy';
  const known = OPENAI_VOICES.includes(requestedVoice) && (!ttsProvider || ttsProvider === 'openai');
  if (!known && (!ttsProvider || ttsProvider === 'openai')) {
    unsupported.push(`voice:${requestedVoice}`);
  }
  return {
    stt: {
      model: sttProvider === 'openai' && voice.stt?.model ? voice.stt.model : defaults.sttModel,
      language,
    },
    tts: {
      model: defaults.ttsModel,
      voice: known ? requestedVoice : 'alloy',
    },
    llm: { model: agent.model, temperature: agent.temperature ?? undefined },
    turnDetection: {
      mode: (voice.turnDetection?.mode ?? 'server_vad').toLowerCase(),
      silenceMs: voice.turnDetection?.silenceMs ?? null,
    },
    unsupported,
  };
}
