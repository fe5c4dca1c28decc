import { TokenVerifier } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import {
  parseDispatchMetadata,
  speechSettings,
  workerSettings,
  workerToken,
} from '../../voice-worker/job.js';
import { voiceTools } from '../../voice-worker/tools.js';
import { MAX_BATCH, TranscriptWriter } from '../../voice-worker/transcript.js';

/**
 * The voice worker's plain modules and its LiveKit entry, without a LiveKit server: the entry's
 * module graph (@livekit/agents, rtc-node, the OpenAI plugin) loads on Node 20 without connecting,
 * its tools are LiveKit function tools over raw JSON Schema, the transcript writer batches, retries
 * and flushes at close.
 */

describe('voice-worker/agent.ts', () => {
  it('loads with @livekit/agents and defines an agent; the plan’s tools become LiveKit function tools', async () => {
    const { isAgent } = await import('@livekit/agents');
    const { default: definition, livekitTools, speechModels } = await import('../../voice-worker/agent.js');
    expect(isAgent(definition)).toBe(true);
    expect(typeof definition.entry).toBe('function');
    const calls: unknown[] = [];
    const tools = livekitTools(
      voiceTools(
        [
          {
            name: 'lookup',
            kind: 'http',
            description: 'Looks up',
            parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
          },
          { name: 'web_search', kind: 'provider', description: 'Hosted', parameters: {} },
        ],
        {
          invokeTool: async (agentKey, toolName, args, conversationId) => {
            calls.push([agentKey, toolName, args, conversationId]);
            return { output: { found: true }, isError: false, error: null };
          },
        },
        'desk',
        'conv-1',
      ),
    );
    expect(Object.keys(tools)).toEqual(['lookup']);
    const lookup = tools.lookup as unknown as {
      type: string;
      parameters: unknown;
      execute: (a: unknown, o: unknown) => Promise<string>;
    };
    expect(lookup.type).toBe('function');
    expect(lookup.parameters).toEqual({
      type: 'object',
      properties: { q: { type: 'string' } },
      required: ['q'],
    });
    expect(await lookup.execute({ q: 'x' }, {})).toBe('{"found":true}');
    expect(calls).toEqual([['desk', 'lookup', { q: 'x' }, 'conv-1']]);
    // The OpenAI plugin's models are built from the settings without reaching anything.
    const models = speechModels(
      speechSettings({ model: 'gpt-4o-mini', temperature: 0.3, voice: null }, null),
      { ...workerSettings({}), openaiApiKey: 'sk-test', openaiBaseUrl: 'http://127.0.0.1:9/v1' },
    );
    expect(models.stt.label).toBe('openai.STT');
    expect(models.tts.label).toBe('openai.TTS');
    expect(models.llm.model).toBe('gpt-4o-mini');
  });
});

describe('tools', () => {
  it('gives the model the tool’s error text, and a failure to reach the platform as text', async () => {
    const failing = voiceTools(
      [{ name: 'a', kind: 'builtin', description: '', parameters: {} }],
      {
        invokeTool: async () => ({ output: null, isError: true, error: 'no such city' }),
      },
      'k',
      null,
    );
    expect(failing.a?.parameters).toEqual({ type: 'object', properties: {} });
    expect(await failing.a?.execute({})).toBe('Error: no such city');
    const down = voiceTools(
      [{ name: 'a', kind: 'builtin', description: '', parameters: {} }],
      {
        invokeTool: async () => {
          throw new Error('unreachable');
        },
      },
      'k',
      null,
    );
    expect(await down.a?.execute({})).toBe('Error: unreachable');
  });
});

describe('job', () => {
  it('signs a worker token granting agent on the room only, for two minutes', async () => {
    const token = await workerToken('key', 'secret-secret-secret-secret-secret', 'room-1');
    const claims = await new TokenVerifier('key', 'secret-secret-secret-secret-secret').verify(token);
    expect(claims.video).toMatchObject({ agent: true, room: 'room-1' });
    expect(claims.video?.roomJoin).toBeUndefined();
    expect((claims.exp as number) - (claims.nbf as number)).toBe(120);
  });

  it('accepts only the platform’s dispatch metadata', () => {
    const good = {
      platform: 'agent-platform',
      kind: 'session',
      tenant_id: 't',
      agent_id: 'a',
      agent_key: 'k',
      binding_id: null,
      session_id: 's',
      voice: null,
    };
    expect(parseDispatchMetadata(JSON.stringify(good))).toEqual(good);
    expect(() => parseDispatchMetadata('')).toThrow(/dispatch metadata/);
    expect(() => parseDispatchMetadata('{oops')).toThrow(/not JSON/);
    expect(() => parseDispatchMetadata(JSON.stringify({ ...good, kind: 'other' }))).toThrow(/kind/);
  });

  it('maps voice settings to OpenAI speech, reporting providers it cannot run', () => {
    const speech = speechSettings(
      {
        model: 'm',
        temperature: null,
        voice: {
          stt: { provider: 'deepgram', model: 'nova-3', language: 'de-DE' },
          tts: { provider: 'openai', voice: 'Nova' },
          turnDetection: { mode: 'SEMANTIC_VAD', silenceMs: null },
        },
      },
      null,
    );
    expect(speech).toMatchObject({
      stt: { model: 'gpt-4o-mini-transcribe', language: 'de' },
      tts: { voice: 'nova' },
      turnDetection: { mode: 'semantic_vad' },
      unsupported: ['stt:deepgram'],
    });
    expect(workerSettings({}).platformUrl).toBe('http://127.0.0.1:4000');
  });
});

describe('TranscriptWriter', () => {
  it('sends in order in batches of at most 50, keeps lines through a failure, flushes at close', async () => {
    const sent: { role: string; text: string }[][] = [];
    let fail = true;
    const errors: unknown[] = [];
    const writer = new TranscriptWriter({
      intervalMs: 60_000,
      send: async (lines) => {
        if (fail) {
          fail = false;
          throw new Error('down');
        }
        sent.push(lines.map(({ role, text }) => ({ role, text })));
      },
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < MAX_BATCH + 3; i++) {
      writer.add(i % 2 ? 'assistant' : 'user', ` line ${i} `);
    }
    writer.add('user', '   ');
    writer.add('user', 'x'.repeat(9000));
    await writer.flush();
    expect(errors).toHaveLength(1);
    expect(sent).toHaveLength(0);
    expect(writer.size).toBe(MAX_BATCH + 4);
    await writer.close();
    expect(sent.map((b) => b.length)).toEqual([MAX_BATCH, 4]);
    expect(sent[0]?.[0]).toEqual({ role: 'user', text: 'line 0' });
    expect(sent[1]?.at(-1)?.text).toHaveLength(8000);
    writer.add('user', 'after close');
    expect(writer.size).toBe(0);
  });

  it('flushes on its own at the interval', async () => {
    const sent: string[] = [];
    const writer = new TranscriptWriter({
      intervalMs: 20,
      send: async (lines) => {
        sent.push(...lines.map((l) => l.text));
      },
    });
    writer.add('user', 'hello');
    await new Promise((r) => setTimeout(r, 100));
    expect(sent).toEqual(['hello']);
    await writer.close();
  });
});
