/**
 * The job entrypoint LiveKit's agent runtime runs in a job process (its path is the worker's
 * `agent`): read the dispatch, join the room, claim the job from the platform, and run the agent of
 * the run plan with OpenAI speech, its platform tools, and its transcript written to the platform.
 * Kept thin: everything that does not need a room lives in job.ts, tools.ts and transcript.ts.
 */
import { defineAgent, type JobContext, llm, voice } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import { parseDispatchMetadata, prepareVoiceJob, type SpeechSettings, workerSettings } from './job.js';
import { PlatformClient } from './platform-client.js';
import type { VoiceToolDefinition } from './tools.js';
import { TranscriptWriter } from './transcript.js';

/** The plan's tools as LiveKit function tools (raw JSON Schema parameters, as llm.tool takes them). */
export function livekitTools(tools: Record<string, VoiceToolDefinition>) {
  return Object.fromEntries(
    Object.entries(tools).map(([name, t]) => [
      name,
      llm.tool({
        description: t.description,
        // biome-ignore lint/suspicious/noExplicitAny: a JSON Schema from the platform, not a literal type.
        parameters: t.parameters as any,
        execute: async (args: Record<string, unknown>) => t.execute(args),
      }),
    ]),
  );
}

/** The OpenAI plugin's models for the run (OPENAI_BASE_URL: any compatible server). */
export function speechModels(speech: SpeechSettings, settings = workerSettings()) {
  const client = {
    ...(settings.openaiApiKey ? { apiKey: settings.openaiApiKey } : {}),
    ...(settings.openaiBaseUrl ? { baseURL: settings.openaiBaseUrl } : {}),
  };
  const mode = speech.turnDetection.mode;
  const turnDetection =
    mode === 'semantic_vad'
      ? ({ type: 'semantic_vad' } as const)
      : mode === 'server_vad'
        ? ({
            type: 'server_vad',
            ...(speech.turnDetection.silenceMs
              ? { silence_duration_ms: speech.turnDetection.silenceMs }
              : {}),
          } as const)
        : undefined;
  return {
    stt: new openai.STT({
      ...client,
      model: speech.stt.model,
      language: speech.stt.language,
      ...(turnDetection ? { turnDetection } : {}),
    }),
    llm: new openai.LLM({
      ...client,
      model: speech.llm.model,
      ...(speech.llm.temperature === undefined ? {} : { temperature: speech.llm.temperature }),
    }),
    tts: new openai.TTS({ ...client, model: speech.tts.model, voice: speech.tts.voice as never }),
  };
}

export default defineAgent({
  entry: async (ctx: JobContext) => {
    const settings = workerSettings();
    if (!settings.livekitApiKey || !settings.livekitApiSecret) {
      throw new Error('The voice worker needs LIVEKIT_API_KEY and LIVEKIT_API_SECRET.');
    }
    const metadata = parseDispatchMetadata(ctx.job.metadata);
    await ctx.connect();
    const room = ctx.room.name ?? ctx.job.room?.name ?? '';
    // An inbound call: the caller is the SIP participant; its number goes on the call.
    let callerNumber: string | null = null;
    if (metadata.kind === 'inbound') {
      const caller = await ctx.waitForParticipant();
      callerNumber = caller.attributes['sip.phoneNumber'] ?? null;
    }
    const prepared = await prepareVoiceJob(metadata, room, {
      platform: new PlatformClient({ url: settings.platformUrl }),
      apiKey: settings.livekitApiKey,
      apiSecret: settings.livekitApiSecret,
      callerNumber,
      settings,
    });
    if (prepared.speech.unsupported.length) {
      console.warn(
        `voice-worker: only OpenAI speech is installed; using it instead of ${prepared.speech.unsupported.join(', ')}`,
      );
    }
    const transcript = new TranscriptWriter({
      send: (lines) => prepared.run.recordTranscript(lines),
      onError: (error) =>
        console.warn(`voice-worker: transcript not recorded yet: ${(error as Error).message}`),
    });
    ctx.addShutdownCallback(() => transcript.close());

    const models = speechModels(prepared.speech, settings);
    const session = new voice.AgentSession({ ...models });
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (event) => {
      const item = event.item;
      if (item.type === 'message' && (item.role === 'user' || item.role === 'assistant')) {
        transcript.add(item.role, item.textContent, new Date(event.createdAt));
      }
    });
    await session.start({
      agent: new voice.Agent({
        instructions: prepared.agent.instructions,
        tools: livekitTools(prepared.tools),
      }),
      room: ctx.room,
    });
    if (prepared.job.kind === 'CALL' && prepared.job.direction === 'outbound') {
      // The callee answers first; the agent waits for them to speak.
      return;
    }
    session.generateReply({ instructions: 'Greet the person briefly and offer your help.' });
  },
});
