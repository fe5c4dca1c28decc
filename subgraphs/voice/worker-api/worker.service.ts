import { randomUUID } from 'node:crypto';
import { TokenVerifier } from 'livekit-server-sdk';
import { z } from 'zod';
import type { VoiceCall, VoiceSession } from '../../../generated/prisma/client.js';
import { mintAgentRunToken } from '../../kernel/agent-tokens.js';
import { recordAudit } from '../../kernel/audit.js';
import {
  ConflictError,
  ForbiddenError,
  isUniqueViolation,
  NotFoundError,
  UnauthenticatedError,
} from '../../kernel/errors.js';
import { parseArgs, UUID_RE } from '../../kernel/validation.js';
import type { VoiceCtx, VoiceTx } from '../db.js';
import { publishVoiceEvent, type VoiceTarget } from '../events/voice-event.js';
import { isFinal, moveCall, sessionAgentJoined } from '../lifecycle.js';
import { requireLiveKit } from '../livekit.js';
import { inboundRoomPrefix, parseRoomName } from '../rooms.js';

/** What an agent run may do with the platform: write its transcript, use its tools and knowledge. */
export const AGENT_RUN_SCOPES = ['conversations:write'] as const;

/** The LiveKit identity the worker signs its proof with (any identity is accepted; this one is logged). */
export const WORKER_IDENTITY = 'voice-worker';

/** What a claimed job is for, and the platform credential of its run. */
export interface VoiceAgentJob {
  kind: 'session' | 'call';
  tenantId: string;
  agentId: string;
  agentKey: string;
  sessionId: string | null;
  callId: string | null;
  /** The conversation the transcript goes to (created by the first line). */
  conversationId: string;
  /** Inbound or outbound, for calls. */
  direction: string | null;
  /** A platform access token of the run (an agent viewer of the tenant). */
  accessToken: string;
  expiresAt: Date;
}

const ClaimArgs = z.object({
  workerToken: z.string().min(1).max(8192),
  room: z.string().min(1).max(256),
  callerNumber: z.string().trim().min(1).max(64).nullish(),
});

const verifiers = new WeakMap<object, TokenVerifier>();

/**
 * The worker's proof: a JWT signed with the deployment's LiveKit API secret (only LiveKit and its
 * workers hold it) granting `agent` on exactly this room. Anything else is 401.
 */
async function verifyWorker(ctx: VoiceCtx, token: string, room: string): Promise<void> {
  const livekit = requireLiveKit(ctx.config, 'Voice agent jobs');
  let verifier = verifiers.get(livekit);
  if (!verifier) {
    verifier = new TokenVerifier(livekit.apiKey, livekit.apiSecret);
    verifiers.set(livekit, verifier);
  }
  let video: { agent?: boolean; room?: string } | undefined;
  try {
    video = (await verifier.verify(token)).video;
  } catch {
    throw new UnauthenticatedError('Invalid worker token.');
  }
  if (video?.agent !== true) {
    throw new UnauthenticatedError('The worker token does not grant `agent`.');
  }
  if (video.room !== room) {
    throw new UnauthenticatedError('The worker token is for another room.');
  }
}

const sessionTarget = (s: VoiceSession): VoiceTarget => ({
  kind: 'session',
  id: s.id,
  tenantId: s.tenantId,
  status: s.status,
});
const callTarget = (c: VoiceCall): VoiceTarget => ({
  kind: 'call',
  id: c.id,
  tenantId: c.tenantId,
  status: c.status,
});

interface Claimed {
  kind: 'session' | 'call';
  row: VoiceSession | VoiceCall;
  direction: string | null;
  owner: { userId: string | null; apiKeyId: string | null };
}

const INBOUND_ROOM = new RegExp(`^inbound-(${UUID_RE.source.slice(1, -1)})-`, 'i');

/**
 * The session's claim: a starting session becomes active (the agent is in); final ones are 409. A
 * session still `created` is one whose start has dispatched but not committed yet: the join is
 * stamped and the start makes it active.
 */
async function claimSession(tx: VoiceTx, session: VoiceSession): Promise<Claimed> {
  if (isFinal(session.status)) {
    throw new ConflictError(`Voice session ${session.id} is ${session.status}.`);
  }
  const row = await sessionAgentJoined(tx, session);
  return {
    kind: 'session',
    row,
    direction: null,
    owner: { userId: session.createdByUserId, apiKeyId: session.apiKeyId },
  };
}

/** A call's claim: the agent joined (stamped once); final calls are 409. */
async function claimCall(
  tx: VoiceTx,
  call: VoiceCall,
  owner: Claimed['owner'] = { userId: call.createdByUserId, apiKeyId: call.apiKeyId },
): Promise<Claimed> {
  if (isFinal(call.status)) {
    throw new ConflictError(`Voice call ${call.id} is ${call.status}.`);
  }
  const row = call.agentJoinedAt
    ? call
    : await tx.voiceCall.update({ where: { id: call.id }, data: { agentJoinedAt: new Date() } });
  return { kind: 'call', row, direction: call.direction, owner };
}

/**
 * A room LiveKit made for an inbound call on a mapping's number (`t-<tenant>-inbound-<mapping>-…`):
 * the call of that room, made once (the room name is unique) and answered by the agent.
 */
async function claimInbound(tx: VoiceTx, room: string, callerNumber: string | null): Promise<Claimed | null> {
  const parsed = parseRoomName(room);
  const mappingId = parsed ? INBOUND_ROOM.exec(parsed.name)?.[1]?.toLowerCase() : undefined;
  if (!parsed || !mappingId || !room.startsWith(inboundRoomPrefix(parsed.tenantId, mappingId))) {
    return null;
  }
  const mapping = await tx.voiceInboundMapping.findFirst({
    where: { id: mappingId, tenantId: parsed.tenantId },
  });
  if (!mapping) {
    return null;
  }
  const owner = { userId: mapping.createdByUserId, apiKeyId: mapping.apiKeyId };
  const existing = await tx.voiceCall.findUnique({ where: { roomName: room } });
  if (existing) {
    return claimCall(tx, existing, owner);
  }
  const now = new Date();
  const call = await tx.voiceCall.create({
    data: {
      tenantId: mapping.tenantId,
      direction: 'inbound',
      agentId: mapping.agentId,
      agentKey: mapping.agentKey,
      toNumber: mapping.phoneNumber,
      fromNumber: callerNumber,
      trunkId: mapping.trunkId ?? mapping.inboundTrunkId,
      mappingId: mapping.id,
      roomName: room,
      conversationId: randomUUID(),
      agentJoinedAt: now,
    },
  });
  await publishVoiceEvent(tx, callTarget(call), { kind: 'voice.call.created' });
  const active = (await moveCall(tx, call, 'active')) ?? call;
  await recordAudit(tx, null, {
    action: 'voice.call.inbound',
    targetType: 'voice_call',
    targetId: call.id,
    tenantId: call.tenantId,
    metadata: { mappingId: mapping.id },
  });
  return { kind: 'call', row: active, direction: 'inbound', owner };
}

/**
 * The voice worker's claim of a dispatched job. No platform credential: the worker proves itself
 * with a LiveKit token for the room (`verifyWorker`). The room names what the job is for: a
 * session, an outbound call, or an inbound call of a mapping (made here, once). The answer carries a
 * platform token of the run, an agent viewer of the tenant that may only write this run's
 * conversation and use this agent's plan and tools. Claiming again is harmless (a new token).
 */
export async function claimVoiceAgentJob(
  ctx: VoiceCtx,
  input: { workerToken: string; room: string; callerNumber?: string | null | undefined },
): Promise<VoiceAgentJob> {
  const args = parseArgs(ClaimArgs, input, []);
  await verifyWorker(ctx, args.workerToken, args.room);
  const claim = () =>
    ctx.db.$transaction(async (tx): Promise<Claimed> => {
      const session = await tx.voiceSession.findUnique({ where: { roomName: args.room } });
      if (session) {
        return claimSession(tx, session);
      }
      const call = await tx.voiceCall.findUnique({ where: { roomName: args.room } });
      if (call) {
        return claimCall(tx, call);
      }
      const inbound = await claimInbound(tx, args.room, args.callerNumber ?? null);
      if (!inbound) {
        throw new NotFoundError('Voice room', args.room);
      }
      return inbound;
    });
  let claimed: Claimed;
  try {
    claimed = await claim();
  } catch (error) {
    // Two workers racing to make the same inbound call: the loser finds the winner's row.
    if (!isUniqueViolation(error)) {
      throw error;
    }
    claimed = await claim();
  }
  const { row, kind } = claimed;
  const run = kind === 'session' ? `voice-session:${row.id}` : `voice-call:${row.id}`;
  const { token, expiresAt } = await mintAgentRunToken(ctx.keys, ctx.config, {
    tenantId: row.tenantId,
    run,
    conversationId: row.conversationId,
    agentKey: row.agentKey,
    scopes: AGENT_RUN_SCOPES,
    ttlSeconds: ctx.config.VOICE_AGENT_TOKEN_TTL_SECONDS,
    ownerUserId: claimed.owner.userId,
    ownerApiKeyId: claimed.owner.apiKeyId,
  });
  return {
    kind,
    tenantId: row.tenantId,
    agentId: row.agentId,
    agentKey: row.agentKey,
    sessionId: kind === 'session' ? row.id : null,
    callId: kind === 'call' ? row.id : null,
    conversationId: row.conversationId,
    direction: claimed.direction,
    accessToken: token,
    expiresAt,
  };
}

/** Most lines one call records, and the longest line. */
export const MAX_TRANSCRIPT_LINES = 50;
export const MAX_TRANSCRIPT_TEXT = 8000;

const TranscriptLines = z
  .array(
    z.object({
      role: z.enum(['user', 'assistant']),
      text: z.string().trim().min(1).max(MAX_TRANSCRIPT_TEXT),
      at: z.date().nullish(),
    }),
  )
  .min(1)
  .max(MAX_TRANSCRIPT_LINES);

export type TranscriptLineInput = z.input<typeof TranscriptLines>[number];

const RUN = new RegExp(`^voice-(session|call):(${UUID_RE.source.slice(1, -1)})$`, 'i');

const APPEND = `mutation AppendTranscript($conversationId: ID!, $input: AppendConversationMessagesInput!) {
  appendConversationMessages(conversationId: $conversationId, input: $input) { conversationId messageCount }
}`;

interface AppendAnswer {
  appendConversationMessages: { conversationId: string; messageCount: number };
}

export interface TranscriptOutcome {
  recorded: number;
  conversationId: string;
  /** Messages in the conversation after these lines. */
  messageCount: number;
}

/**
 * Lines said in a session or call, from its agent run only (the worker's agent-run token; any other
 * credential is 403): appended to the run's conversation (the conversations subgraph, as the run,
 * creates it with the first lines), then one `voice.transcript` event per line on the session's or
 * call's stream. Lines that arrive after the room ended are still recorded.
 */
export async function recordVoiceTranscript(
  ctx: VoiceCtx,
  lines: readonly TranscriptLineInput[],
): Promise<TranscriptOutcome> {
  const viewer = ctx.viewer;
  if (!viewer) {
    throw ctx.authError ?? new UnauthenticatedError();
  }
  if (viewer.kind !== 'agent') {
    throw new ForbiddenError('Only a voice agent run records transcripts.');
  }
  const parsed = parseArgs(TranscriptLines, lines, ['lines']);
  const run = RUN.exec(viewer.run);
  if (!run || !viewer.conversationId) {
    throw new ForbiddenError('This agent run does not record voice transcripts.');
  }
  const id = (run[2] as string).toLowerCase();
  const where = { id, tenantId: viewer.tenantId };
  const row =
    run[1] === 'session'
      ? await ctx.db.voiceSession.findFirst({ where })
      : await ctx.db.voiceCall.findFirst({ where });
  if (!row) {
    throw new NotFoundError(run[1] === 'session' ? 'Voice session' : 'Voice call', id);
  }
  const answer = await ctx.peers.query<AppendAnswer>(ctx, 'conversations', APPEND, {
    conversationId: row.conversationId,
    input: {
      messages: parsed.map((line) => ({
        role: line.role,
        content: line.text,
        ...(line.role === 'assistant' ? { agent: row.agentKey } : {}),
        ...(line.at ? { at: line.at.toISOString() } : {}),
      })),
      agentEntrypoint: row.agentKey,
      displayName: run[1] === 'session' ? 'Voice session' : 'Voice call',
    },
  });
  await ctx.db.$transaction(async (tx) => {
    const target = run[1] === 'session' ? sessionTarget(row as VoiceSession) : callTarget(row as VoiceCall);
    for (const line of parsed) {
      await publishVoiceEvent(tx, target, { kind: 'voice.transcript', role: line.role, text: line.text });
    }
  });
  return {
    recorded: parsed.length,
    conversationId: answer.appendConversationMessages.conversationId,
    messageCount: answer.appendConversationMessages.messageCount,
  };
}
