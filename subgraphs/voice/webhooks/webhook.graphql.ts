import { builder } from '../builder.js';
import { receiveLiveKitWebhook, type WebhookOutcome } from './webhook.service.js';

const WebhookOutcomeRef = builder.objectRef<WebhookOutcome>('LiveKitWebhookOutcome').implement({
  description: 'What became of one LiveKit webhook.',
  fields: (t) => ({
    event: t.exposeString('event', { description: 'The event’s name (`participant_joined` …).' }),
    applied: t.exposeBoolean('applied', {
      description: 'False when the event id was applied before (a redelivery): nothing changed.',
    }),
  }),
});

builder.mutationField('receiveLiveKitWebhook', (t) =>
  t.field({
    type: WebhookOutcomeRef,
    description:
      'Applies one LiveKit webhook to the session or call of its room. No credential: the signature is verified (the LiveKit API key’s JWT carrying the body’s SHA-256); a bad one is 401 and changes nothing. Each event id is applied once.',
    // The signature is the credential (verified by the service).
    authScopes: { public: true },
    args: {
      body: t.arg.string({ required: true, description: 'The request body, verbatim.' }),
      signature: t.arg.string({ description: 'The `Authorization` header LiveKit sent (a bare JWT).' }),
    },
    resolve: (_root, args, ctx) => receiveLiveKitWebhook(ctx, args.body, args.signature),
  }),
);
