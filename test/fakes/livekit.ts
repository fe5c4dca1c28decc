/**
 * An in-process LiveKit Twirp server on loopback (port 0) for tests: the RoomService,
 * AgentDispatchService and SIP APIs that `livekit-server-sdk@2.19.2` calls, with in-memory state
 * (rooms, participants, agent dispatches, SIP trunks, dispatch rules), signed webhooks out, fault
 * injection, and hooks that simulate what media would cause (a participant joining, an inbound call).
 *
 * Requests are parsed and answered with the protobuf classes of the `@livekit/protocol` that the
 * SDK itself resolves (1.51.0, nested under livekit-server-sdk; the top-level copy belongs to
 * @livekit/agents), so camelCase and snake_case keys both work and int64/Duration serialise as
 * LiveKit's do. Behaviour follows livekit/livekit `pkg/service` and livekit/protocol `sip/sip.go`:
 * a bad token is a 401 with a text/plain body (LiveKit's auth middleware writes the bare error, so
 * the SDK's ServerError has no `code`); a missing grant is Twirp `unauthenticated` "permissions
 * denied"; dispatch-rule and inbound-trunk conflicts are `invalid_argument` with LiveKit's texts.
 *
 * What it does NOT do: no WebRTC, no media, no real SIP (no INVITE, no ringing, no DTMF, no PIN
 * prompt), no agent workers (a "fulfilled" dispatch is just an AGENT participant appearing), no
 * egress/ingress, no empty-room timeouts (rooms live until deleted or `simulateRoomFinished`), no
 * region failover (the SDK only fails over for *.livekit.cloud hosts anyway), no pagination.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import { AccessToken, WebhookEvent } from 'livekit-server-sdk';
// The SDK's own protocol copy (see header). A relative path because a bare '@livekit/protocol'
// from here resolves to the top-level 1.52 copy, whose classes and fields differ.
import {
  AgentDispatch,
  AgentDispatchState,
  CreateAgentDispatchRequest,
  CreateRoomRequest,
  CreateSIPDispatchRuleRequest,
  CreateSIPInboundTrunkRequest,
  CreateSIPOutboundTrunkRequest,
  CreateSIPParticipantRequest,
  DeleteAgentDispatchRequest,
  DeleteRoomRequest,
  DeleteRoomResponse,
  DeleteSIPDispatchRuleRequest,
  DeleteSIPTrunkRequest,
  GetSIPInboundTrunkRequest,
  GetSIPInboundTrunkResponse,
  GetSIPOutboundTrunkRequest,
  GetSIPOutboundTrunkResponse,
  Job,
  JobState,
  JobStatus,
  JobType,
  ListAgentDispatchRequest,
  ListAgentDispatchResponse,
  ListParticipantsRequest,
  ListParticipantsResponse,
  ListRoomsRequest,
  ListRoomsResponse,
  ListSIPDispatchRuleRequest,
  ListSIPDispatchRuleResponse,
  ListSIPInboundTrunkRequest,
  ListSIPInboundTrunkResponse,
  ListSIPOutboundTrunkRequest,
  ListSIPOutboundTrunkResponse,
  type ListUpdate,
  ParticipantInfo,
  ParticipantInfo_Kind,
  ParticipantInfo_State,
  ParticipantPermission,
  version as protocolVersion,
  RemoveParticipantResponse,
  Room,
  type RoomAgentDispatch,
  RoomConfiguration,
  RoomParticipantIdentity,
  SendDataRequest,
  SendDataResponse,
  SIPDispatchRuleInfo,
  type SIPInboundTrunkInfo,
  type SIPOutboundTrunkInfo,
  SIPParticipantInfo,
  SIPTrunkInfo,
  Timestamp,
  TransferSIPParticipantRequest,
  UpdateParticipantRequest,
  UpdateRoomMetadataRequest,
  UpdateSIPDispatchRuleRequest,
  UpdateSIPInboundTrunkRequest,
  UpdateSIPOutboundTrunkRequest,
} from '../../node_modules/livekit-server-sdk/node_modules/@livekit/protocol/dist/index.mjs';

/** livekit-server-sdk does not re-export the participant kind enum; tests compare against it. */
export { ParticipantInfo_Kind };

type JsonValue = ReturnType<Room['toJson']>;

export interface LiveKitDoubleOptions {
  apiKey?: string;
  /** At least 32 characters, as LiveKit requires of production secrets. */
  apiSecret?: string;
}

export interface RecordedCall {
  service: string;
  method: string;
  /** The JSON body as sent ({} when it was not a JSON object). */
  body: Record<string, unknown>;
  /** The verified JWT claims; {} when there was no valid token. */
  grants: Record<string, unknown>;
  /** The SDK's X-Livekit-Request-Id (its idempotency key), '' if absent. */
  requestId: string;
  at: number;
}

export interface SipOutcome {
  /** Twirp HTTP status, default 400. */
  status?: number;
  /** Twirp code, default 'invalid_argument'. */
  code?: string;
  sipStatusCode: number;
  sipStatus: string;
  /** How long the "dialing" takes before the failure is answered. */
  delayMs?: number;
}

export type Failure =
  | { status: number; code: string; msg: string; meta?: Record<string, string>; contentType?: string }
  | { hang: true }
  | { malformed: true };

export interface RoomState {
  info: Room;
  participants: Map<string, ParticipantInfo>;
}

export type DispatchState = AgentDispatch;

export interface TransferRecord {
  room: string;
  identity: string;
  transferTo: string;
  at: number;
}

export interface LiveKitDoubleState {
  rooms: Map<string, RoomState>;
  /** By dispatch id (AD_…). */
  dispatches: Map<string, DispatchState>;
  inboundTrunks: Map<string, SIPInboundTrunkInfo>;
  outboundTrunks: Map<string, SIPOutboundTrunkInfo>;
  dispatchRules: Map<string, SIPDispatchRuleInfo>;
  transfers: TransferRecord[];
  /** The participants of a room, in join order ([] for an unknown room). */
  participants(room: string): ParticipantInfo[];
}

export interface WebhookSent {
  event: string;
  id: string;
  url: string;
  /** The receiver's HTTP status; null when it could not be reached. */
  status: number | null;
  body: string;
}

export interface LiveKitDouble {
  url: string;
  apiKey: string;
  apiSecret: string;
  env: Record<string, string>;
  calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  state: LiveKitDoubleState;
  fulfilDispatches: boolean;
  answerDelayMs: number;
  sipOutcomes: Map<string, SipOutcome>;
  failNext(method: string, failure: Failure): void;
  webhookUrls: string[];
  webhooksSent: WebhookSent[];
  webhooksIdle(): Promise<void>;
  sendWebhook(
    event: { event: string } & Record<string, unknown>,
    options?: { secret?: string; tamper?: boolean; id?: string },
  ): Promise<{ status: number; body: string }>;
  resend(id: string): Promise<{ status: number }>;
  addParticipant(
    room: string,
    p: {
      identity: string;
      kind?: 'STANDARD' | 'AGENT' | 'SIP';
      attributes?: Record<string, string>;
      metadata?: string;
      name?: string;
    },
  ): Promise<void>;
  /** A client joining with an access token: verifies it, creates the room (applying the token's roomConfig agents) if new. */
  joinWithToken(token: string): Promise<ParticipantInfo>;
  removeParticipant(room: string, identity: string): Promise<void>;
  simulateInboundCall(opts: {
    toNumber: string;
    fromNumber: string;
    pin?: string;
    trunkId?: string;
  }): Promise<{ room: string; dispatchRuleId: string } | null>;
  simulateRoomFinished(room: string): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_API_KEY = 'devkey';
const DEFAULT_API_SECRET = 'devsecret-devsecret-devsecret-devsecret';
const MAX_BODY = 1024 * 1024;
/** LiveKit's defaults when CreateRoom leaves them 0 (config.yaml room.empty_timeout / departure_timeout). */
const DEFAULT_EMPTY_TIMEOUT = 300;
const DEFAULT_DEPARTURE_TIMEOUT = 20;
/** golang-jwt leeway in livekit/protocol auth/verifier.go. */
const TOKEN_LEEWAY_SECONDS = 60;
const WEBHOOK_TIMEOUT_MS = 5_000;

const TWIRP_STATUS: Record<string, number> = {
  canceled: 408,
  unknown: 500,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  dataloss: 500,
};

/** A Twirp error reply. */
class TwirpError extends Error {
  constructor(
    readonly code: string,
    msg: string,
    readonly meta?: Record<string, string>,
    readonly status = TWIRP_STATUS[code] ?? 500,
  ) {
    super(msg);
  }
}

const PERMISSION_DENIED = 'permissions denied';
const notFound = {
  room: () => new TwirpError('not_found', 'requested room does not exist'),
  participant: () => new TwirpError('not_found', 'participant does not exist'),
  trunk: () => new TwirpError('not_found', 'requested sip trunk does not exist'),
  rule: () => new TwirpError('not_found', 'requested sip dispatch rule does not exist'),
  sipParticipant: () => new TwirpError('not_found', 'requested sip participant does not exist'),
};
const invalid = (msg: string) => new TwirpError('invalid_argument', msg);

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** livekit/protocol guid.New: prefix + 12 base62 characters. */
function guid(prefix: string): string {
  const bytes = randomBytes(12);
  let out = prefix;
  for (const b of bytes) {
    out += ALPHABET[b % ALPHABET.length];
  }
  return out;
}

const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));
const nowNanos = () => BigInt(Date.now()) * 1_000_000n;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** livekit.NormalizeNumber: strip formatting from phone-like strings and prefix '+'. */
function normalizeNumber(num: string): string {
  if (num === '') {
    return '';
  }
  if (!/^\+?[\d\- ()]+$/.test(num)) {
    return num;
  }
  const stripped = num.replace(/[ \-()]/g, '');
  return stripped.startsWith('+') ? stripped : `+${stripped}`;
}

function printId(id: string): string {
  return id === '' ? '<new>' : id;
}

/** Go's %q for the strings we print (ids, names, numbers). */
const q = (s: string) => JSON.stringify(s);

function printNumbers(numbers: string[]): string {
  return numbers.length === 0 ? '<any>' : `[${numbers.map(q).join(' ')}]`;
}

function applyListUpdate(current: string[], update: ListUpdate | undefined): string[] {
  if (!update) {
    return current;
  }
  if (update.clear) {
    return [];
  }
  if (update.set.length > 0) {
    return [...update.set];
  }
  const out = current.filter((v) => !update.remove.includes(v));
  for (const v of update.add) {
    if (!out.includes(v)) {
      out.push(v);
    }
  }
  return out;
}

/** livekit.ListUpdate.Validate. */
function validateListUpdate(update: ListUpdate | undefined): void {
  if (!update) {
    return;
  }
  const change = update.set.length + update.add.length + update.remove.length > 0;
  if (!update.clear && !change) {
    throw invalid('unsupported list update operation');
  }
  if (update.clear && change) {
    throw invalid('cannot clear and change the list at the same time');
  }
  if (update.set.length > 0 && update.add.length + update.remove.length > 0) {
    throw invalid('cannot set and change the list at the same time');
  }
  if ([...update.set, ...update.add, ...update.remove].includes('')) {
    throw invalid('empty element in the list');
  }
}

function applyMapDiff(target: Record<string, string>, diff: Record<string, string>): void {
  for (const [k, v] of Object.entries(diff)) {
    if (v === '') {
      delete target[k];
    } else {
      target[k] = v;
    }
  }
}

function rulePinAndRoom(info: SIPDispatchRuleInfo): { room: string; pin: string } {
  const rule = info.rule?.rule;
  switch (rule?.case) {
    case 'dispatchRuleDirect':
      return { room: rule.value.roomName, pin: rule.value.pin };
    case 'dispatchRuleIndividual':
      return { room: rule.value.roomPrefix, pin: rule.value.pin };
    case 'dispatchRuleCallee':
      return { room: rule.value.roomPrefix, pin: rule.value.pin };
    default:
      throw invalid('missing rule');
  }
}

/** sip.DispatchRuleValidator: one rule per (trunk, inbound number, number, PIN); empty lists are wildcards. */
function validateDispatchRules(rules: SIPDispatchRuleInfo[]): void {
  const byKey = new Map<string, SIPDispatchRuleInfo>();
  for (const r of rules) {
    const { pin } = rulePinAndRoom(r);
    const trunks = r.trunkIds.length > 0 ? r.trunkIds : [''];
    const inbound = r.inboundNumbers.length > 0 ? r.inboundNumbers : [''];
    const numbers = r.numbers.length > 0 ? r.numbers : [''];
    for (const trunk of trunks) {
      for (const from of inbound) {
        for (const to of numbers) {
          const key = JSON.stringify([pin, trunk, normalizeNumber(from), normalizeNumber(to)]);
          const other = byKey.get(key);
          if (other) {
            throw invalid(
              `Dispatch rule for the same trunk, inbound number, number, and PIN combination already exists in dispatch rule ${q(printId(other.sipDispatchRuleId))} ${q(other.name === '' ? '<blank name>' : other.name)}`,
            );
          }
          byKey.set(key, r);
        }
      }
    }
  }
}

/** sip.ValidateTrunksIter for inbound trunks (the new trunk last, with an empty id). */
function validateInboundTrunks(trunks: SIPInboundTrunkInfo[]): void {
  const byCalled = new Map<string, Map<string, SIPInboundTrunkInfo>>();
  for (const t of trunks) {
    for (const num of t.numbers.length > 0 ? t.numbers : ['']) {
      let byCalling = byCalled.get(num);
      if (!byCalling) {
        byCalling = new Map();
        byCalled.set(num, byCalling);
      }
      if (t.allowedNumbers.length === 0) {
        const other = byCalling.get('');
        if (other) {
          throw invalid(
            `Conflicting inbound SIP Trunks: ${q(printId(t.sipTrunkId))} and ${q(printId(other.sipTrunkId))}, using the same number(s) ${printNumbers(t.numbers)} without AllowedNumbers set`,
          );
        }
        byCalling.set('', t);
      } else {
        for (const allowed of t.allowedNumbers) {
          const key = normalizeNumber(allowed);
          const other = byCalling.get(key);
          if (other) {
            throw invalid(
              `Conflicting inbound SIP Trunks: ${q(printId(t.sipTrunkId))} and ${q(printId(other.sipTrunkId))}, using the same number(s) ${printNumbers(t.numbers)} and AllowedNumber ${q(allowed)}`,
            );
          }
          byCalling.set(key, t);
        }
      }
    }
  }
}

/** SIPInboundTrunkInfo.ValidateResult (the security rule). */
function validateInboundTrunk(t: SIPInboundTrunkInfo): void {
  if (
    t.authUsername === '' &&
    t.authPassword === '' &&
    t.allowedAddresses.length === 0 &&
    t.numbers.length === 0
  ) {
    throw invalid(
      'for security, one of the fields must be set: AuthUsername+AuthPassword, AllowedAddresses or Numbers',
    );
  }
}

function validateOutboundTrunk(t: SIPOutboundTrunkInfo): void {
  if (t.numbers.length === 0) {
    throw invalid('no trunk numbers specified');
  }
  if (t.address === '') {
    throw invalid('no outbound address specified');
  }
}

/** sip.DispatchRulePriority: lower wins; pin-protected first, then direct < individual < callee. */
function rulePriority(info: SIPDispatchRuleInfo): number {
  const rule = info.rule?.rule;
  let p: number;
  switch (rule?.case) {
    case 'dispatchRuleDirect':
      p = rule.value.pin !== '' ? 0 : 100;
      break;
    case 'dispatchRuleIndividual':
      p = rule.value.pin !== '' ? 1 : 101;
      break;
    case 'dispatchRuleCallee':
      p = rule.value.pin !== '' ? 2 : 102;
      break;
    default:
      return Number.MAX_SAFE_INTEGER;
  }
  return info.inboundNumbers.length === 0 ? p + 1000 : p;
}

function pickRule(rules: SIPDispatchRuleInfo[]): SIPDispatchRuleInfo | undefined {
  if (rules.length === 0) {
    return undefined;
  }
  validateDispatchRules(rules);
  return [...rules].sort((a, b) => {
    const d = rulePriority(a) - rulePriority(b);
    if (d !== 0) {
      return d;
    }
    const ra = rulePinAndRoom(a).room;
    const rb = rulePinAndRoom(b).room;
    return ra < rb ? -1 : ra > rb ? 1 : 0;
  })[0];
}

const KIND: Record<'STANDARD' | 'AGENT' | 'SIP', ParticipantInfo_Kind> = {
  STANDARD: ParticipantInfo_Kind.STANDARD,
  AGENT: ParticipantInfo_Kind.AGENT,
  SIP: ParticipantInfo_Kind.SIP,
};

/** What CreateRoom, a dispatch rule's or a token's roomConfig set on a new room. */
interface RoomSettings {
  emptyTimeout?: number;
  departureTimeout?: number;
  maxParticipants?: number;
  metadata?: string;
  agents?: RoomAgentDispatch[];
}

interface Grants {
  video?: {
    roomCreate?: boolean;
    roomList?: boolean;
    roomAdmin?: boolean;
    roomJoin?: boolean;
    room?: string;
  };
  sip?: { admin?: boolean; call?: boolean };
  [claim: string]: unknown;
}

interface CallContext {
  body: JsonValue;
  grants: Grants | null;
  requestId: string;
}

type Handler = (ctx: CallContext) => Promise<{ toJson(): JsonValue }>;

/** The raw JWT LiveKit puts in a webhook's Authorization header (sha256 = base64 SHA-256 of the body). */
export async function signWebhook(body: string, apiKey: string, apiSecret: string): Promise<string> {
  const at = new AccessToken(apiKey, apiSecret, { ttl: '5m' });
  at.sha256 = createHash('sha256').update(body).digest('base64');
  return at.toJwt();
}

export async function startLiveKitDouble(options: LiveKitDoubleOptions = {}): Promise<LiveKitDouble> {
  if (!protocolVersion.startsWith('1.51.')) {
    throw new Error(`livekit double: expected the SDK's @livekit/protocol 1.51.x, found ${protocolVersion}`);
  }
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const apiSecret = options.apiSecret ?? DEFAULT_API_SECRET;
  const secretKey = new TextEncoder().encode(apiSecret);

  const rooms = new Map<string, RoomState>();
  const dispatches = new Map<string, AgentDispatch>();
  const dispatchByRequestId = new Map<string, string>();
  const inboundTrunks = new Map<string, SIPInboundTrunkInfo>();
  const outboundTrunks = new Map<string, SIPOutboundTrunkInfo>();
  const dispatchRules = new Map<string, SIPDispatchRuleInfo>();
  const transfers: TransferRecord[] = [];
  const faults = new Map<string, Failure[]>();
  const calls: RecordedCall[] = [];
  const webhooksSent: WebhookSent[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  const webhookAbort = new AbortController();
  let webhookQueue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) {
        fn();
      }
    }, ms);
    timers.add(t);
  };

  // ---- webhooks ---------------------------------------------------------------------------

  async function deliver(body: string, event: string, id: string, token: string): Promise<number | null> {
    let first: number | null = null;
    for (const [i, url] of double.webhookUrls.entries()) {
      let status: number | null = null;
      if (!closed) {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/webhook+json', Authorization: token },
            body,
            signal: AbortSignal.any([webhookAbort.signal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
          });
          await res.arrayBuffer();
          status = res.status;
        } catch {
          status = null; // receiver down or slow: LiveKit logs and moves on
        }
      }
      webhooksSent.push({ event, id, url, status, body });
      if (i === 0) {
        first = status;
      }
    }
    return first;
  }

  function enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = webhookQueue.then(task, task);
    webhookQueue = run.catch(() => undefined);
    return run;
  }

  function emit(event: string, fields: { room?: Room; participant?: ParticipantInfo; job?: Job }): void {
    const ev = new WebhookEvent({ ...fields, id: guid('EV_'), createdAt: nowSeconds() });
    ev.event = event as WebhookEvent['event'];
    const body = JSON.stringify(ev.toJson());
    const id = ev.id;
    void enqueue(async () => deliver(body, event, id, await signWebhook(body, apiKey, apiSecret)));
  }

  // ---- rooms and participants ------------------------------------------------------------------

  function roomSnapshot(state: RoomState): Room {
    const info = state.info.clone();
    info.numParticipants = state.participants.size;
    info.numPublishers = [...state.participants.values()].filter((p) => p.isPublisher).length;
    return info;
  }

  function ensureRoom(name: string, config?: RoomSettings): RoomState {
    const existing = rooms.get(name);
    if (existing) {
      return existing;
    }
    const now = Date.now();
    const state: RoomState = {
      info: new Room({
        sid: guid('RM_'),
        name,
        emptyTimeout: config?.emptyTimeout || DEFAULT_EMPTY_TIMEOUT,
        departureTimeout: config?.departureTimeout || DEFAULT_DEPARTURE_TIMEOUT,
        maxParticipants: config?.maxParticipants ?? 0,
        metadata: config?.metadata ?? '',
        creationTime: BigInt(Math.floor(now / 1000)),
        creationTimeMs: BigInt(now),
      }),
      participants: new Map(),
    };
    rooms.set(name, state);
    emit('room_started', { room: roomSnapshot(state) });
    for (const agent of config?.agents ?? []) {
      createDispatch(name, agent.agentName, agent.metadata, {});
    }
    return state;
  }

  function join(room: string, p: ParticipantInfo): ParticipantInfo {
    const state = ensureRoom(room);
    const previous = state.participants.get(p.identity);
    if (previous) {
      leave(room, p.identity); // a duplicate identity replaces the old session
    }
    state.participants.set(p.identity, p);
    emit('participant_joined', { room: roomSnapshot(state), participant: p.clone() });
    return p;
  }

  function leave(room: string, identity: string): ParticipantInfo | undefined {
    const state = rooms.get(room);
    const p = state?.participants.get(identity);
    if (!state || !p) {
      return undefined;
    }
    state.participants.delete(identity);
    const gone = p.clone();
    gone.state = ParticipantInfo_State.DISCONNECTED;
    emit('participant_left', { room: roomSnapshot(state), participant: gone });
    return p;
  }

  function finishRoom(name: string): boolean {
    const state = rooms.get(name);
    if (!state) {
      return false;
    }
    for (const identity of [...state.participants.keys()]) {
      leave(name, identity);
    }
    for (const [id, d] of dispatches) {
      if (d.room === name) {
        dispatches.delete(id);
      }
    }
    rooms.delete(name);
    emit('room_finished', { room: roomSnapshot(state) });
    return true;
  }

  function participant(fields: {
    identity: string;
    kind: ParticipantInfo_Kind;
    name?: string;
    metadata?: string;
    attributes?: Record<string, string>;
  }): ParticipantInfo {
    const now = Date.now();
    return new ParticipantInfo({
      sid: guid('PA_'),
      identity: fields.identity,
      name: fields.name ?? '',
      metadata: fields.metadata ?? '',
      attributes: { ...fields.attributes },
      kind: fields.kind,
      state: ParticipantInfo_State.ACTIVE,
      joinedAt: BigInt(Math.floor(now / 1000)),
      joinedAtMs: BigInt(now),
      permission: new ParticipantPermission({ canSubscribe: true, canPublish: true, canPublishData: true }),
    });
  }

  // ---- agent dispatch --------------------------------------------------------------------------

  function createDispatch(
    room: string,
    agentName: string,
    metadata: string,
    extra: Partial<Pick<AgentDispatch, 'restartPolicy' | 'deployment' | 'attributes'>>,
  ): AgentDispatch {
    ensureRoom(room);
    const dispatch = new AgentDispatch({
      id: guid('AD_'),
      agentName,
      room,
      metadata,
      ...extra,
      state: new AgentDispatchState({ createdAt: nowNanos() }),
    });
    dispatches.set(dispatch.id, dispatch);
    if (double.fulfilDispatches) {
      // After the response, like a worker accepting the job a moment later.
      setImmediate(() => {
        const state = rooms.get(room);
        if (closed || !state || !dispatches.has(dispatch.id)) {
          return;
        }
        const jobId = guid('AJ_');
        const identity = `agent-${jobId}`;
        const agent = participant({ identity, kind: ParticipantInfo_Kind.AGENT });
        dispatch.state?.jobs.push(
          new Job({
            id: jobId,
            dispatchId: dispatch.id,
            type: JobType.JT_ROOM,
            room: roomSnapshot(state),
            agentName,
            metadata,
            state: new JobState({
              status: JobStatus.JS_RUNNING,
              participantIdentity: identity,
              startedAt: nowNanos(),
            }),
          }),
        );
        join(room, agent);
      });
    }
    return dispatch;
  }

  // ---- permissions (pkg/service/auth.go) ----------------------------------------------------------

  const denied = () => new TwirpError('unauthenticated', PERMISSION_DENIED);
  const requireCreate = (g: Grants | null) => {
    if (!g?.video?.roomCreate) {
      throw denied();
    }
  };
  const requireList = (g: Grants | null) => {
    if (!g?.video?.roomList) {
      throw denied();
    }
  };
  const requireAdmin = (g: Grants | null, room: string) => {
    if (!g?.video?.roomAdmin || (g.video.room ?? '') !== room) {
      throw denied();
    }
  };
  const requireSipAdmin = (g: Grants | null) => {
    if (!g?.sip?.admin) {
      throw denied();
    }
  };
  const requireSipCall = (g: Grants | null) => {
    if (!g?.sip?.call) {
      throw denied();
    }
  };

  const opts = { ignoreUnknownFields: true } as const;

  function roomOf(name: string): RoomState {
    const state = rooms.get(name);
    if (!state) {
      throw notFound.room();
    }
    return state;
  }

  function participantOf(room: string, identity: string): ParticipantInfo {
    const p = rooms.get(room)?.participants.get(identity);
    if (!p) {
      throw notFound.participant();
    }
    return p;
  }

  function byIdsOrAll<T>(map: Map<string, T>, ids: string[]): T[] {
    if (ids.length === 0) {
      return [...map.values()];
    }
    return ids.map((id) => map.get(id)).filter((v): v is T => v !== undefined);
  }

  // ---- handlers ------------------------------------------------------------------------------------

  const roomService: Record<string, Handler> = {
    async CreateRoom({ body, grants }) {
      const req = CreateRoomRequest.fromJson(body, opts);
      requireCreate(grants);
      if (req.name === '') {
        throw invalid('no room name');
      }
      return roomSnapshot(ensureRoom(req.name, req));
    },
    async ListRooms({ body, grants }) {
      const req = ListRoomsRequest.fromJson(body, opts);
      requireList(grants);
      const list = [...rooms.values()].filter(
        (r) => req.names.length === 0 || req.names.includes(r.info.name),
      );
      return new ListRoomsResponse({ rooms: list.map(roomSnapshot) });
    },
    async DeleteRoom({ body, grants }) {
      const req = DeleteRoomRequest.fromJson(body, opts);
      requireCreate(grants);
      if (!finishRoom(req.room)) {
        throw notFound.room();
      }
      return new DeleteRoomResponse();
    },
    async ListParticipants({ body, grants }) {
      const req = ListParticipantsRequest.fromJson(body, opts);
      requireAdmin(grants, req.room);
      return new ListParticipantsResponse({
        participants: [...(rooms.get(req.room)?.participants.values() ?? [])],
      });
    },
    async GetParticipant({ body, grants }) {
      const req = RoomParticipantIdentity.fromJson(body, opts);
      requireAdmin(grants, req.room);
      return participantOf(req.room, req.identity);
    },
    async RemoveParticipant({ body, grants }) {
      const req = RoomParticipantIdentity.fromJson(body, opts);
      requireAdmin(grants, req.room);
      participantOf(req.room, req.identity);
      leave(req.room, req.identity);
      return new RemoveParticipantResponse();
    },
    async UpdateParticipant({ body, grants }) {
      const req = UpdateParticipantRequest.fromJson(body, opts);
      requireAdmin(grants, req.room);
      const p = participantOf(req.room, req.identity);
      if (req.metadata !== '') {
        p.metadata = req.metadata;
      }
      if (req.name !== '') {
        p.name = req.name;
      }
      if (req.permission) {
        p.permission = req.permission;
      }
      applyMapDiff(p.attributes, req.attributes);
      p.version += 1;
      return p;
    },
    async UpdateRoomMetadata({ body, grants }) {
      const req = UpdateRoomMetadataRequest.fromJson(body, opts);
      requireAdmin(grants, req.room);
      const state = roomOf(req.room);
      state.info.metadata = req.metadata;
      return roomSnapshot(state);
    },
    async SendData({ body, grants }) {
      const req = SendDataRequest.fromJson(body, opts);
      requireAdmin(grants, req.room);
      if (req.nonce.length !== 0 && req.nonce.length !== 16) {
        throw invalid(`nonce should be 16-bytes or not present, got: ${req.nonce.length} bytes`);
      }
      roomOf(req.room);
      return new SendDataResponse();
    },
  };

  const agentDispatchService: Record<string, Handler> = {
    async CreateDispatch({ body, grants, requestId }) {
      const req = CreateAgentDispatchRequest.fromJson(body, opts);
      requireAdmin(grants, req.room);
      // LiveKit derives the dispatch id from the request id (DeterministicID), so a retried request
      // does not dispatch twice.
      const previous = requestId ? dispatches.get(dispatchByRequestId.get(requestId) ?? '') : undefined;
      if (previous) {
        return previous;
      }
      const d = createDispatch(req.room, req.agentName, req.metadata, {
        restartPolicy: req.restartPolicy,
        deployment: req.deployment,
        attributes: req.attributes,
      });
      if (requestId) {
        dispatchByRequestId.set(requestId, d.id);
      }
      return d;
    },
    async DeleteDispatch({ body, grants }) {
      const req = DeleteAgentDispatchRequest.fromJson(body, opts);
      requireAdmin(grants, req.room);
      const d = dispatches.get(req.dispatchId);
      if (!d || d.room !== req.room) {
        throw new TwirpError('not_found', 'dispatch not found');
      }
      dispatches.delete(req.dispatchId);
      if (d.state) {
        d.state.deletedAt = nowNanos();
      }
      return d;
    },
    async ListDispatch({ body, grants }) {
      const req = ListAgentDispatchRequest.fromJson(body, opts);
      requireAdmin(grants, req.room);
      const list = [...dispatches.values()].filter(
        (d) => d.room === req.room && (req.dispatchId === '' || d.id === req.dispatchId),
      );
      return new ListAgentDispatchResponse({ agentDispatches: list });
    },
  };

  function legacyRuleInfo(req: CreateSIPDispatchRuleRequest): SIPDispatchRuleInfo {
    if (req.dispatchRule) {
      if (req.dispatchRule.sipDispatchRuleId !== '') {
        throw invalid('rule id must not be set');
      }
      return req.dispatchRule.clone();
    }
    return new SIPDispatchRuleInfo({
      rule: req.rule,
      trunkIds: req.trunkIds,
      inboundNumbers: req.inboundNumbers,
      hidePhoneNumber: req.hidePhoneNumber,
      name: req.name,
      metadata: req.metadata,
      attributes: req.attributes,
      roomPreset: req.roomPreset,
      roomConfig: req.roomConfig,
    });
  }

  async function dial(to: string): Promise<void> {
    const outcome = double.sipOutcomes.get(to);
    if (!outcome) {
      return;
    }
    if (outcome.delayMs) {
      await sleep(outcome.delayMs);
    }
    throw new TwirpError(
      outcome.code ?? 'invalid_argument',
      `SIP call failed: ${outcome.sipStatusCode} ${outcome.sipStatus}`,
      { sip_status_code: String(outcome.sipStatusCode), sip_status: outcome.sipStatus },
      outcome.status ?? 400,
    );
  }

  const sipService: Record<string, Handler> = {
    async CreateSIPInboundTrunk({ body, grants }) {
      const req = CreateSIPInboundTrunkRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      if (!req.trunk) {
        throw invalid('missing trunk');
      }
      const trunk = req.trunk.clone();
      if (trunk.sipTrunkId !== '') {
        throw invalid('trunk id must not be set');
      }
      validateInboundTrunk(trunk);
      validateInboundTrunks([...inboundTrunks.values(), trunk]); // empty id prints as "<new>"
      trunk.sipTrunkId = guid('ST_');
      trunk.createdAt = Timestamp.now();
      inboundTrunks.set(trunk.sipTrunkId, trunk);
      return trunk;
    },
    async CreateSIPOutboundTrunk({ body, grants }) {
      const req = CreateSIPOutboundTrunkRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      if (!req.trunk) {
        throw invalid('missing trunk');
      }
      const trunk = req.trunk.clone();
      if (trunk.sipTrunkId !== '') {
        throw invalid('trunk id must not be set');
      }
      validateOutboundTrunk(trunk);
      trunk.sipTrunkId = guid('ST_');
      trunk.createdAt = Timestamp.now();
      outboundTrunks.set(trunk.sipTrunkId, trunk);
      return trunk;
    },
    async GetSIPInboundTrunk({ body, grants }) {
      const req = GetSIPInboundTrunkRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      if (req.sipTrunkId === '') {
        throw invalid('trunk ID is required');
      }
      const trunk = inboundTrunks.get(req.sipTrunkId);
      if (!trunk) {
        throw notFound.trunk();
      }
      return new GetSIPInboundTrunkResponse({ trunk });
    },
    async GetSIPOutboundTrunk({ body, grants }) {
      const req = GetSIPOutboundTrunkRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      if (req.sipTrunkId === '') {
        throw invalid('trunk ID is required');
      }
      const trunk = outboundTrunks.get(req.sipTrunkId);
      if (!trunk) {
        throw notFound.trunk();
      }
      return new GetSIPOutboundTrunkResponse({ trunk });
    },
    async ListSIPInboundTrunk({ body, grants }) {
      const req = ListSIPInboundTrunkRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      const wanted = req.numbers.map(normalizeNumber);
      const items = byIdsOrAll(inboundTrunks, req.trunkIds).filter(
        (t) =>
          wanted.length === 0 ||
          t.numbers.length === 0 ||
          t.numbers.some((n) => wanted.includes(normalizeNumber(n))),
      );
      return new ListSIPInboundTrunkResponse({ items });
    },
    async ListSIPOutboundTrunk({ body, grants }) {
      const req = ListSIPOutboundTrunkRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      const wanted = req.numbers.map(normalizeNumber);
      const items = byIdsOrAll(outboundTrunks, req.trunkIds).filter(
        (t) => wanted.length === 0 || t.numbers.some((n) => wanted.includes(normalizeNumber(n))),
      );
      return new ListSIPOutboundTrunkResponse({ items });
    },
    async UpdateSIPInboundTrunk({ body, grants }) {
      const req = UpdateSIPInboundTrunkRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      if (req.sipTrunkId === '') {
        throw invalid('trunk id must be set');
      }
      const current = inboundTrunks.get(req.sipTrunkId);
      if (!current) {
        throw notFound.trunk();
      }
      let next: SIPInboundTrunkInfo;
      if (req.action.case === 'replace') {
        next = req.action.value.clone();
        if (next.sipTrunkId !== '' && next.sipTrunkId !== req.sipTrunkId) {
          throw invalid('trunk id in the info must be empty or match the id in the update');
        }
        next.sipTrunkId = req.sipTrunkId;
        next.createdAt = current.createdAt;
      } else if (req.action.case === 'update') {
        const u = req.action.value;
        for (const l of [u.numbers, u.allowedAddresses, u.allowedNumbers]) {
          validateListUpdate(l);
        }
        next = current.clone();
        next.numbers = applyListUpdate(next.numbers, u.numbers);
        next.allowedAddresses = applyListUpdate(next.allowedAddresses, u.allowedAddresses);
        next.allowedNumbers = applyListUpdate(next.allowedNumbers, u.allowedNumbers);
        if (u.authUsername !== undefined) {
          next.authUsername = u.authUsername;
        }
        if (u.authPassword !== undefined) {
          next.authPassword = u.authPassword;
        }
        if (u.name !== undefined) {
          next.name = u.name;
        }
        if (u.metadata !== undefined) {
          next.metadata = u.metadata;
        }
      } else {
        throw invalid('missing or unsupported update action');
      }
      validateInboundTrunk(next);
      validateInboundTrunks(
        [...inboundTrunks.values()].map((t) => (t.sipTrunkId === req.sipTrunkId ? next : t)),
      );
      next.updatedAt = Timestamp.now();
      inboundTrunks.set(req.sipTrunkId, next);
      return next;
    },
    async UpdateSIPOutboundTrunk({ body, grants }) {
      const req = UpdateSIPOutboundTrunkRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      if (req.sipTrunkId === '') {
        throw invalid('trunk id must be set');
      }
      const current = outboundTrunks.get(req.sipTrunkId);
      if (!current) {
        throw notFound.trunk();
      }
      let next: SIPOutboundTrunkInfo;
      if (req.action.case === 'replace') {
        next = req.action.value.clone();
        if (next.sipTrunkId !== '' && next.sipTrunkId !== req.sipTrunkId) {
          throw invalid('trunk id in the info must be empty or match the id in the update');
        }
        next.sipTrunkId = req.sipTrunkId;
        next.createdAt = current.createdAt;
      } else if (req.action.case === 'update') {
        const u = req.action.value;
        validateListUpdate(u.numbers);
        next = current.clone();
        next.numbers = applyListUpdate(next.numbers, u.numbers);
        if (u.address !== undefined) {
          next.address = u.address;
        }
        if (u.transport !== undefined) {
          next.transport = u.transport;
        }
        if (u.destinationCountry !== undefined) {
          next.destinationCountry = u.destinationCountry;
        }
        if (u.authUsername !== undefined) {
          next.authUsername = u.authUsername;
        }
        if (u.authPassword !== undefined) {
          next.authPassword = u.authPassword;
        }
        if (u.name !== undefined) {
          next.name = u.name;
        }
        if (u.metadata !== undefined) {
          next.metadata = u.metadata;
        }
        if (u.fromHost !== undefined) {
          next.fromHost = u.fromHost;
        }
      } else {
        throw invalid('missing or unsupported update action');
      }
      validateOutboundTrunk(next);
      next.updatedAt = Timestamp.now();
      outboundTrunks.set(req.sipTrunkId, next);
      return next;
    },
    async DeleteSIPTrunk({ body, grants }) {
      const req = DeleteSIPTrunkRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      if (req.sipTrunkId === '') {
        throw invalid('trunk ID is required');
      }
      if (!inboundTrunks.delete(req.sipTrunkId) && !outboundTrunks.delete(req.sipTrunkId)) {
        throw notFound.trunk();
      }
      return new SIPTrunkInfo({ sipTrunkId: req.sipTrunkId }); // LiveKit answers with the id only
    },
    async CreateSIPDispatchRule({ body, grants }) {
      const req = CreateSIPDispatchRuleRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      const info = legacyRuleInfo(req);
      if (!info.rule?.rule.case) {
        throw invalid('missing rule');
      }
      validateDispatchRules([...dispatchRules.values(), info]);
      info.sipDispatchRuleId = guid('SDR_');
      info.createdAt = Timestamp.now();
      dispatchRules.set(info.sipDispatchRuleId, info);
      return info;
    },
    async ListSIPDispatchRule({ body, grants }) {
      const req = ListSIPDispatchRuleRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      const items = byIdsOrAll(dispatchRules, req.dispatchRuleIds).filter(
        (r) =>
          req.trunkIds.length === 0 ||
          r.trunkIds.length === 0 ||
          r.trunkIds.some((t) => req.trunkIds.includes(t)),
      );
      return new ListSIPDispatchRuleResponse({ items });
    },
    async UpdateSIPDispatchRule({ body, grants }) {
      const req = UpdateSIPDispatchRuleRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      if (req.sipDispatchRuleId === '') {
        throw invalid('rule id must be set');
      }
      const current = dispatchRules.get(req.sipDispatchRuleId);
      let next: SIPDispatchRuleInfo;
      if (req.action.case === 'replace') {
        const info = req.action.value;
        if (info.sipDispatchRuleId !== '' && info.sipDispatchRuleId !== req.sipDispatchRuleId) {
          throw invalid('rule id in the info must be empty or match the id in the update');
        }
        if (!info.rule?.rule.case) {
          throw invalid('missing rule');
        }
        if (!current) {
          throw notFound.rule();
        }
        next = info.clone();
        next.sipDispatchRuleId = req.sipDispatchRuleId;
        next.createdAt = current.createdAt;
      } else if (req.action.case === 'update') {
        const u = req.action.value;
        validateListUpdate(u.trunkIds);
        if (!current) {
          throw notFound.rule();
        }
        next = current.clone();
        next.trunkIds = applyListUpdate(next.trunkIds, u.trunkIds);
        if (u.rule) {
          next.rule = u.rule;
        }
        if (u.name !== undefined) {
          next.name = u.name;
        }
        if (u.metadata !== undefined) {
          next.metadata = u.metadata;
        }
        applyMapDiff(next.attributes, u.attributes);
      } else {
        throw invalid('missing or unsupported update action');
      }
      validateDispatchRules(
        [...dispatchRules.values()].map((r) => (r.sipDispatchRuleId === req.sipDispatchRuleId ? next : r)),
      );
      next.updatedAt = Timestamp.now();
      dispatchRules.set(req.sipDispatchRuleId, next);
      return next;
    },
    async DeleteSIPDispatchRule({ body, grants }) {
      const req = DeleteSIPDispatchRuleRequest.fromJson(body, opts);
      requireSipAdmin(grants);
      if (req.sipDispatchRuleId === '') {
        throw invalid('dispatch rule ID is required');
      }
      const rule = dispatchRules.get(req.sipDispatchRuleId);
      if (!rule) {
        throw notFound.rule();
      }
      dispatchRules.delete(req.sipDispatchRuleId);
      return rule;
    },
    async CreateSIPParticipant({ body, grants }) {
      const req = CreateSIPParticipantRequest.fromJson(body, opts);
      requireSipCall(grants);
      if (req.sipTrunkId === '' && !req.trunk) {
        throw invalid('missing sip trunk id and sip number');
      }
      if (req.sipCallTo === '') {
        throw invalid('missing sip callee number');
      }
      if (req.sipCallTo.includes('@') || req.sipCallTo.startsWith('sip:')) {
        throw invalid('SipCallTo should be a phone number or SIP user, not a full SIP URI');
      }
      if (req.roomName === '') {
        throw invalid('missing room name');
      }
      const trunk = req.sipTrunkId !== '' ? outboundTrunks.get(req.sipTrunkId) : undefined;
      if (req.sipTrunkId !== '' && !trunk) {
        throw notFound.trunk();
      }
      const callId = guid('SCL_');
      const identity = req.participantIdentity || 'sip-participant';
      const attributes: Record<string, string> = {
        ...req.participantAttributes,
        'sip.callID': callId,
        'sip.trunkID': req.sipTrunkId,
        'sip.callStatus': 'dialing',
      };
      if (!req.hidePhoneNumber) {
        attributes['sip.phoneNumber'] = req.sipCallTo;
        attributes['sip.trunkPhoneNumber'] = req.sipNumber || trunk?.numbers[0] || '';
      }
      const sip = participant({
        identity,
        kind: ParticipantInfo_Kind.SIP,
        name: req.participantName,
        metadata: req.participantMetadata,
        attributes,
      });
      const answer = () => {
        sip.attributes['sip.callStatus'] = 'active';
        sip.version += 1;
      };
      if (req.waitUntilAnswered) {
        await dial(req.sipCallTo);
        await sleep(double.answerDelayMs);
        answer();
        join(req.roomName, sip);
      } else {
        // Without waiting, LiveKit answers once the call is placed; a failure then only shows as
        // the participant going away, so a scripted outcome still fails the request here.
        await dial(req.sipCallTo);
        join(req.roomName, sip);
        later(double.answerDelayMs, answer);
      }
      return new SIPParticipantInfo({
        participantId: sip.sid,
        participantIdentity: identity,
        roomName: req.roomName,
        sipCallId: callId,
      });
    },
    async TransferSIPParticipant({ body, grants }) {
      const req = TransferSIPParticipantRequest.fromJson(body, opts);
      requireAdmin(grants, req.roomName);
      requireSipCall(grants);
      if (req.roomName === '') {
        throw invalid('missing room name');
      }
      if (req.participantIdentity === '') {
        throw invalid('missing participant identity');
      }
      if (req.transferTo === '') {
        throw invalid('missing transfer to');
      }
      if (!/^(sips?|tel):/.test(req.transferTo)) {
        throw invalid('transfer_to must be a valid SIP(s) or TEL URI (sip:, sips: or tel:)');
      }
      const p = rooms.get(req.roomName)?.participants.get(req.participantIdentity);
      if (!p || p.kind !== ParticipantInfo_Kind.SIP) {
        throw notFound.sipParticipant();
      }
      await dial(req.transferTo);
      transfers.push({
        room: req.roomName,
        identity: req.participantIdentity,
        transferTo: req.transferTo,
        at: Date.now(),
      });
      leave(req.roomName, req.participantIdentity); // the bridged call leaves LiveKit after the REFER
      return new SendDataResponse(); // an empty message: the SDK ignores the body
    },
  };

  const services: Record<string, Record<string, Handler>> = {
    RoomService: roomService,
    AgentDispatchService: agentDispatchService,
    SIP: sipService,
  };

  // ---- HTTP ------------------------------------------------------------------------------------------

  function sendJson(
    res: ServerResponse,
    status: number,
    body: string,
    contentType = 'application/json',
  ): void {
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  function sendTwirp(res: ServerResponse, err: TwirpError): void {
    const body: Record<string, unknown> = { code: err.code, msg: err.message };
    if (err.meta) {
      body.meta = err.meta;
    }
    sendJson(res, err.status, JSON.stringify(body));
  }

  /** LiveKit's auth middleware: a bad token is a bare-text 401 before any routing. */
  async function authenticate(
    header: string | undefined,
  ): Promise<{ grants: Grants | null } | { error: string }> {
    if (!header) {
      return { grants: null };
    }
    if (!header.startsWith('Bearer ')) {
      return { error: 'invalid authorization header. Must start with Bearer ' };
    }
    const token = header.slice('Bearer '.length);
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return { error: 'invalid authorization token' };
    }
    if (iss !== apiKey) {
      return { error: 'invalid API key' };
    }
    try {
      const { payload } = await jwtVerify(token, secretKey, {
        algorithms: ['HS256'],
        issuer: apiKey,
        clockTolerance: TOKEN_LEEWAY_SECONDS,
        requiredClaims: ['exp'],
      });
      return { grants: payload as Grants };
    } catch (e) {
      // golang-jwt v5's wording, which LiveKit appends.
      let reason = e instanceof Error ? e.message : String(e);
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
        reason = 'token signature is invalid: signature is invalid';
      } else if (e instanceof joseErrors.JWTExpired) {
        reason = 'token has invalid claims: token is expired';
      } else if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'exp') {
        reason = 'token is missing required claim: exp claim is required';
      }
      return { error: `invalid authorization token: ${reason}` };
    }
  }

  async function readBody(req: IncomingMessage): Promise<string | null> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) {
        return null;
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const match = /^\/twirp\/livekit\.([A-Za-z]+)\/([A-Za-z]+)$/.exec(path);
    const service = match?.[1] ?? '';
    const method = match?.[2] ?? '';
    const text = await readBody(req);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = undefined;
    }
    const auth = await authenticate(req.headers.authorization);
    const requestId = String(req.headers['x-livekit-request-id'] ?? '');
    calls.push({
      service,
      method,
      body:
        parsed && typeof parsed === 'object' && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : {},
      grants: 'grants' in auth && auth.grants ? { ...auth.grants } : {},
      requestId,
      at: Date.now(),
    });

    if ('error' in auth) {
      // Go's http.ResponseWriter sniffs a bare error string as text/plain.
      sendJson(res, 401, auth.error, 'text/plain; charset=utf-8');
      return;
    }
    const handler = services[service]?.[method];
    if (req.method !== 'POST') {
      sendTwirp(
        res,
        new TwirpError('bad_route', `unsupported method ${q(req.method ?? '')} (only POST is allowed)`, {
          twirp_invalid_route: `${req.method} ${path}`,
        }),
      );
      return;
    }
    if (!handler) {
      sendTwirp(
        res,
        new TwirpError('bad_route', `no handler for path ${q(path)}`, {
          twirp_invalid_route: `POST ${path}`,
        }),
      );
      return;
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') {
      sendTwirp(
        res,
        new TwirpError('bad_route', `unexpected Content-Type: ${q(req.headers['content-type'] ?? '')}`, {
          twirp_invalid_route: `POST ${path}`,
        }),
      );
      return;
    }
    const fault = faults.get(method)?.shift();
    if (fault) {
      if ('hang' in fault) {
        return; // never answered; close() drops the socket
      }
      if ('malformed' in fault) {
        sendJson(res, 200, '{"this is not": json');
        return;
      }
      const body: Record<string, unknown> = { code: fault.code, msg: fault.msg };
      if (fault.meta) {
        body.meta = fault.meta;
      }
      sendJson(res, fault.status, JSON.stringify(body), fault.contentType ?? 'application/json');
      return;
    }
    if (text === null) {
      sendTwirp(res, new TwirpError('malformed', 'request body too large'));
      return;
    }
    if (parsed === undefined) {
      sendTwirp(res, new TwirpError('malformed', 'the json request could not be decoded'));
      return;
    }
    try {
      const reply = await handler({ body: parsed as JsonValue, grants: auth.grants, requestId });
      sendJson(res, 200, JSON.stringify(reply.toJson()));
    } catch (e) {
      if (e instanceof TwirpError) {
        sendTwirp(res, e);
      } else if (e instanceof Error && e.name === 'SyntaxError') {
        sendTwirp(res, new TwirpError('malformed', `the json request could not be decoded: ${e.message}`));
      } else {
        // protobuf-es fromJson errors (wrong field types) are decoding errors too.
        const msg = e instanceof Error ? e.message : String(e);
        sendTwirp(res, new TwirpError(msg.startsWith('cannot decode') ? 'malformed' : 'internal', msg));
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        sendTwirp(res, new TwirpError('internal', e instanceof Error ? e.message : String(e)));
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // ---- the double -----------------------------------------------------------------------------------

  const double: LiveKitDouble = {
    url,
    apiKey,
    apiSecret,
    env: { LIVEKIT_URL: url, LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret },
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    state: {
      rooms,
      dispatches,
      inboundTrunks,
      outboundTrunks,
      dispatchRules,
      transfers,
      participants: (room) => [...(rooms.get(room)?.participants.values() ?? [])],
    },
    fulfilDispatches: true,
    answerDelayMs: 0,
    sipOutcomes: new Map(),
    failNext(method, failure) {
      const list = faults.get(method) ?? [];
      list.push(failure);
      faults.set(method, list);
    },
    webhookUrls: [],
    webhooksSent,
    async webhooksIdle() {
      // Loop: a delivery can enqueue nothing, but an agent join scheduled by setImmediate can.
      for (;;) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        const current = webhookQueue;
        await current;
        if (current === webhookQueue) {
          return;
        }
      }
    },
    async sendWebhook(event, options = {}) {
      const json = {
        ...event,
        id: options.id ?? guid('EV_'),
        createdAt: event.createdAt ?? String(nowSeconds()),
      };
      const ev = WebhookEvent.fromJson(json as unknown as JsonValue, opts);
      const signed = JSON.stringify(ev.toJson());
      const token = await signWebhook(signed, apiKey, options.secret ?? apiSecret);
      // Tampering after signing: the body no longer matches the token's sha256.
      const body = options.tamper ? signed.replace(/"id":"/, '"id":"X') : signed;
      const target = double.webhookUrls[0];
      if (!target) {
        throw new Error('livekit double: no webhookUrls configured');
      }
      return enqueue(async () => {
        const res = await fetch(target, {
          method: 'POST',
          headers: { 'Content-Type': 'application/webhook+json', Authorization: token },
          body,
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        const answer = { status: res.status, body: await res.text() };
        webhooksSent.push({ event: ev.event, id: ev.id, url: target, status: res.status, body });
        return answer;
      });
    },
    async resend(id) {
      const sent = webhooksSent.find((w) => w.id === id);
      if (!sent) {
        throw new Error(`livekit double: no webhook ${id} was sent`);
      }
      const status = await enqueue(async () =>
        deliver(sent.body, sent.event, id, await signWebhook(sent.body, apiKey, apiSecret)),
      );
      return { status: status ?? 0 };
    },
    async addParticipant(room, p) {
      join(
        room,
        participant({
          identity: p.identity,
          kind: KIND[p.kind ?? 'STANDARD'],
          name: p.name,
          metadata: p.metadata,
          attributes: p.attributes,
        }),
      );
    },
    async joinWithToken(token) {
      const { payload } = await jwtVerify(token, secretKey, {
        algorithms: ['HS256'],
        issuer: apiKey,
        clockTolerance: TOKEN_LEEWAY_SECONDS,
        requiredClaims: ['exp'],
      });
      const grants = payload as Grants & {
        sub?: string;
        name?: string;
        metadata?: string;
        attributes?: Record<string, string>;
        roomConfig?: JsonValue;
        kind?: string;
      };
      const room = grants.video?.room;
      if (!grants.video?.roomJoin || !room) {
        throw new Error('livekit double: token has no roomJoin grant for a room');
      }
      if (!grants.sub) {
        throw new Error('livekit double: token has no identity (sub)');
      }
      // A token's roomConfig applies only when this join creates the room.
      if (!rooms.has(room)) {
        const config = grants.roomConfig ? RoomConfiguration.fromJson(grants.roomConfig, opts) : undefined;
        ensureRoom(room, config);
      }
      const kind = (grants.kind ?? 'standard').toUpperCase();
      const p = participant({
        identity: grants.sub,
        kind:
          kind === 'AGENT'
            ? ParticipantInfo_Kind.AGENT
            : kind === 'SIP'
              ? ParticipantInfo_Kind.SIP
              : ParticipantInfo_Kind.STANDARD,
        name: grants.name,
        metadata: grants.metadata,
        attributes: grants.attributes,
      });
      return join(room, p);
    },
    async removeParticipant(room, identity) {
      if (!leave(room, identity)) {
        throw new Error(`livekit double: no participant ${identity} in ${room}`);
      }
    },
    async simulateInboundCall({ toNumber, fromNumber, pin, trunkId }) {
      // sip.MatchTrunkDetailed: the calling number must be allowed; a trunk for the called number
      // beats a wildcard (no numbers) trunk.
      let trunk: SIPInboundTrunkInfo | undefined;
      if (trunkId) {
        trunk = inboundTrunks.get(trunkId);
      } else {
        const allowed = [...inboundTrunks.values()].filter(
          (t) =>
            t.allowedNumbers.length === 0 ||
            t.allowedNumbers.some(
              (n) => n === fromNumber || normalizeNumber(n) === normalizeNumber(fromNumber),
            ),
        );
        trunk =
          allowed.find((t) =>
            t.numbers.some((n) => n === toNumber || normalizeNumber(n) === normalizeNumber(toNumber)),
          ) ?? allowed.find((t) => t.numbers.length === 0);
      }
      // sip.MatchDispatchRuleIter: filter by numbers and PIN, trunk-specific rules before wildcard ones.
      const specific: SIPDispatchRuleInfo[] = [];
      const wildcard: SIPDispatchRuleInfo[] = [];
      for (const rule of dispatchRules.values()) {
        if (
          rule.inboundNumbers.length > 0 &&
          !rule.inboundNumbers.some((n) => normalizeNumber(n) === normalizeNumber(fromNumber))
        ) {
          continue;
        }
        if (
          rule.numbers.length > 0 &&
          !rule.numbers.some((n) => normalizeNumber(n) === normalizeNumber(toNumber))
        ) {
          continue;
        }
        const rulePin = rulePinAndRoom(rule).pin;
        // Without a PIN the caller cannot get into a PIN-protected room (no DTMF prompt here).
        if (pin ? rulePin !== pin : rulePin !== '') {
          continue;
        }
        if (rule.trunkIds.length === 0) {
          wildcard.push(rule);
        } else if (trunk && rule.trunkIds.includes(trunk.sipTrunkId)) {
          specific.push(rule);
        }
      }
      const rule = pickRule(specific) ?? pickRule(wildcard);
      if (!rule) {
        return null;
      }

      const callId = guid('SCL_');
      let from = fromNumber;
      let identity = `sip_${fromNumber}`;
      if (rule.hidePhoneNumber) {
        identity = `sip_${createHash('sha256').update(fromNumber).digest('hex').slice(0, 16)}`;
        from = from.slice(from.length - (from.length <= 4 ? 1 : 4));
      }
      const r = rule.rule?.rule;
      let roomName: string;
      if (r?.case === 'dispatchRuleIndividual') {
        roomName = `${r.value.roomPrefix}_${from}_${guid('')}`;
      } else if (r?.case === 'dispatchRuleCallee') {
        roomName = r.value.roomPrefix ? `${r.value.roomPrefix}_${toNumber}` : toNumber;
        if (r.value.randomize) {
          roomName += `_${guid('')}`;
        }
      } else if (r?.case === 'dispatchRuleDirect') {
        roomName = r.value.roomName;
      } else {
        return null;
      }
      const attributes: Record<string, string> = {
        ...rule.attributes,
        'sip.callID': callId,
        'sip.trunkID': trunk?.sipTrunkId ?? '',
        'sip.ruleID': rule.sipDispatchRuleId,
        'sip.callStatus': 'active',
      };
      if (!rule.hidePhoneNumber) {
        attributes['sip.phoneNumber'] = fromNumber;
        attributes['sip.trunkPhoneNumber'] = toNumber;
      }
      ensureRoom(roomName, rule.roomConfig);
      join(
        roomName,
        participant({
          identity,
          kind: ParticipantInfo_Kind.SIP,
          name: `Phone ${from}`,
          metadata: rule.metadata,
          attributes,
        }),
      );
      return { room: roomName, dispatchRuleId: rule.sipDispatchRuleId };
    },
    async simulateRoomFinished(room) {
      if (!finishRoom(room)) {
        throw new Error(`livekit double: no room ${room}`);
      }
    },
    async close() {
      closed = true;
      for (const t of timers) {
        clearTimeout(t);
      }
      timers.clear();
      webhookAbort.abort();
      await webhookQueue.catch(() => undefined);
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return double;
}
