import { builder } from '../builder.js';
import { subscribeVoiceEvents, type VoiceEventView } from './event.service.js';

builder.subscriptionType({ description: 'Live event streams.' });

export const VoiceEventRef = builder.objectRef<VoiceEventView>('VoiceEvent').implement({
  description: 'One event of a voice session or call: a state change, a participant, a transcript line.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: 'Resume point: pass it as `after` (SSE `Last-Event-ID`).',
    }),
    kind: t.exposeString('kind', {
      description:
        '`voice.session.<status>`, `voice.call.<status>`, `voice.participant.joined`, `voice.participant.left` or `voice.transcript`.',
    }),
    sessionId: t.exposeID('sessionId', { nullable: true, description: 'The session (session events).' }),
    callId: t.exposeID('callId', { nullable: true, description: 'The call (call events).' }),
    status: t.exposeString('status', { description: 'The session’s or call’s status after the event.' }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why it ended or failed.' }),
    sipStatusCode: t.exposeInt('sipStatusCode', {
      nullable: true,
      description: 'SIP response code of a failed or answered call (486 busy, 480, 603 …).',
    }),
    sipStatus: t.exposeString('sipStatus', { nullable: true, description: 'SIP reason phrase.' }),
    participantIdentity: t.exposeString('participantIdentity', {
      nullable: true,
      description: 'The participant who joined or left.',
    }),
    participantKind: t.exposeString('participantKind', {
      nullable: true,
      description: 'STANDARD, AGENT or SIP.',
    }),
    role: t.exposeString('role', { nullable: true, description: 'Transcript lines: `user` or `assistant`.' }),
    text: t.exposeString('text', { nullable: true, description: 'Transcript lines: what was said.' }),
    timestamp: t.exposeString('timestamp', { description: 'When it happened (ISO 8601).' }),
  }),
});

builder.subscriptionField('voiceSessionEvents', (t) =>
  t.field({
    type: VoiceEventRef,
    description:
      'Events of one voice session. Pass the last seen `cursor` as `after` to resume without loss (`0`: from the start).',
    authScopes: { scope: 'voice:read' },
    args: {
      sessionId: t.arg.id({ required: true, description: 'The session.' }),
      after: t.arg.string({ description: 'Replay events after this cursor first.' }),
    },
    subscribe: (_root, args, ctx) =>
      subscribeVoiceEvents(ctx, { kind: 'session', id: String(args.sessionId) }, args.after),
    resolve: (event) => event,
  }),
);

builder.subscriptionField('callEvents', (t) =>
  t.field({
    type: VoiceEventRef,
    description:
      'Events of one call. Pass the last seen `cursor` as `after` to resume without loss (`0`: from the start).',
    authScopes: { scope: 'voice:read' },
    args: {
      callId: t.arg.id({ required: true, description: 'The call.' }),
      after: t.arg.string({ description: 'Replay events after this cursor first.' }),
    },
    subscribe: (_root, args, ctx) =>
      subscribeVoiceEvents(ctx, { kind: 'call', id: String(args.callId) }, args.after),
    resolve: (event) => event,
  }),
);
