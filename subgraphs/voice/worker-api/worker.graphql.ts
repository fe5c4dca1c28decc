import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import {
  claimVoiceAgentJob,
  MAX_TRANSCRIPT_LINES,
  MAX_TRANSCRIPT_TEXT,
  recordVoiceTranscript,
  type TranscriptOutcome,
  type VoiceAgentJob,
} from './worker.service.js';

const VoiceAgentJobKind = legacyEnum(
  builder,
  'VoiceAgentJobKind',
  ['session', 'call'],
  'What a voice agent job is for.',
);

const VoiceTranscriptRole = legacyEnum(
  builder,
  'VoiceTranscriptRole',
  ['user', 'assistant'],
  'Who said a transcript line: the person (or caller) or the agent.',
);

const VoiceAgentJobRef = builder.objectRef<VoiceAgentJob>('VoiceAgentJob').implement({
  description: 'A dispatched voice job the worker claimed: what it is for, and the run’s platform token.',
  fields: (t) => ({
    kind: t.field({
      type: VoiceAgentJobKind,
      description: 'A session (people join a room) or a phone call.',
      resolve: (j) => j.kind,
    }),
    tenantId: t.exposeID('tenantId', { description: 'The tenant the job runs for.' }),
    agentId: t.exposeID('agentId', { description: 'The agent that runs.' }),
    agentKey: t.exposeString('agentKey', {
      description: 'The agent’s key (what agentRunPlan and invokeAgentTool take).',
    }),
    sessionId: t.exposeID('sessionId', { nullable: true, description: 'The session (session jobs).' }),
    callId: t.exposeID('callId', { nullable: true, description: 'The call (call jobs).' }),
    direction: t.exposeString('direction', {
      nullable: true,
      description: '`inbound` or `outbound` for calls; null for sessions.',
    }),
    conversationId: t.exposeID('conversationId', {
      description: 'The conversation the transcript is written to (created by the first line).',
    }),
    accessToken: t.exposeString('accessToken', {
      description:
        'A platform access token of this run (Bearer): scope conversations:write only (run plan, tools, knowledge_search through its tool, transcript), this agent only, this conversation only.',
    }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      description: 'When the access token expires (claim again for a new one).',
    }),
  }),
});

const TranscriptOutcomeRef = builder.objectRef<TranscriptOutcome>('VoiceTranscriptOutcome').implement({
  description: 'What recordVoiceTranscript stored.',
  fields: (t) => ({
    recorded: t.exposeInt('recorded', { description: 'Lines recorded.' }),
    conversationId: t.exposeID('conversationId', { description: 'The conversation they were appended to.' }),
    messageCount: t.exposeInt('messageCount', { description: 'Messages in the conversation now.' }),
  }),
});

const VoiceTranscriptLineInput = builder.inputType('VoiceTranscriptLineInput', {
  description: 'One line said in a session or call.',
  fields: (t) => ({
    role: t.field({ type: VoiceTranscriptRole, required: true, description: 'Who said it.' }),
    text: t.string({ required: true, description: `What was said (1–${MAX_TRANSCRIPT_TEXT} characters).` }),
    at: t.field({ type: 'DateTime', description: 'When it was said (default: when recorded).' }),
  }),
});

builder.mutationField('claimVoiceAgentJob', (t) =>
  t.field({
    type: VoiceAgentJobRef,
    description:
      'The voice worker claims a dispatched job. No platform credential: `workerToken` is a LiveKit access token signed with the deployment’s LiveKit API secret granting `agent` on `room` (401 otherwise; 503 without LiveKit). A starting session becomes active; an inbound room of a mapping becomes an inbound call (once). Unknown room 404, an ended or failed one 409. Claiming again gives a new token.',
    // `workerToken` is the credential (verified by the service).
    authScopes: { public: true },
    args: {
      workerToken: t.arg.string({
        required: true,
        description: 'A LiveKit JWT (video grant `{agent: true, room}`), signed with LIVEKIT_API_SECRET.',
      }),
      room: t.arg.string({ required: true, description: 'The LiveKit room of the job.' }),
      callerNumber: t.arg.string({
        description: 'Inbound calls: the caller’s number (the SIP participant’s `sip.phoneNumber`).',
      }),
    },
    resolve: (_root, args, ctx) => claimVoiceAgentJob(ctx, args),
  }),
);

builder.mutationField('recordVoiceTranscript', (t) =>
  t.field({
    type: TranscriptOutcomeRef,
    description: `Records lines said in the session or call of the caller’s agent run (only an agent-run token from claimVoiceAgentJob; 403 otherwise): appended to its conversation and published as \`voice.transcript\` events. At most ${MAX_TRANSCRIPT_LINES} lines a call.`,
    // The agent-run token from claimVoiceAgentJob is the credential (checked by the service).
    authScopes: { public: true },
    args: {
      lines: t.arg({
        type: [VoiceTranscriptLineInput],
        required: true,
        description: `The lines, in order (1–${MAX_TRANSCRIPT_LINES}).`,
      }),
    },
    resolve: (_root, args, ctx) => recordVoiceTranscript(ctx, args.lines),
  }),
);
