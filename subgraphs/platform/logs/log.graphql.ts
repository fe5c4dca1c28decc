import { builder } from '../builder.js';
import { ingestFrontendLog } from './log.service.js';

const LogReceiptRef = builder.objectRef<{ accepted: true }>('FrontendLogReceipt').implement({
  description: 'A frontend log event, written to the platform’s log.',
  fields: (t) => ({
    accepted: t.exposeBoolean('accepted', { description: 'Always true: the event was logged.' }),
  }),
});

builder.mutationField('ingestFrontendLog', (t) =>
  t.field({
    type: LogReceiptRef,
    description:
      'Writes a browser’s log event (`{event, scope, level, message, timestamp, fields}` as JSON, at most 16 KiB) to the platform’s log. A bearer credential, or the body’s HMAC with FRONTEND_LOG_SHARED_SECRET as `signature`.',
    // Either a credential or a signature: the service checks which.
    authScopes: { public: true },
    args: {
      body: t.arg.string({ required: true, description: 'The event, as JSON text (signed verbatim).' }),
      signature: t.arg.string({ description: 'Hex HMAC-SHA256 of `body` (`X-Log-Signature`).' }),
    },
    resolve: (_root, args, ctx) => ingestFrontendLog(ctx, args.body, args.signature),
  }),
);
