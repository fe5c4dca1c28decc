import { createContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { type ClaimedJob, type JobHandler, PermanentJobError } from '../../kernel/jobs.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { StatusCtx } from '../db.js';
import { postWebhook } from './webhook.js';

/** One incident notice to one subscriber, delivered in the background with the queue's retries. */
export const NOTICE_QUEUE = 'status-notices';

export interface NoticeJobPayload {
  subscriptionId: string;
  incidentId: string;
}

function payloadOf(job: ClaimedJob): NoticeJobPayload {
  const p = job.payload as Partial<NoticeJobPayload> | null;
  if (!p || typeof p.subscriptionId !== 'string' || typeof p.incidentId !== 'string') {
    throw new PermanentJobError('malformed status notice job');
  }
  return { subscriptionId: p.subscriptionId, incidentId: p.incidentId };
}

/**
 * Sends the incident as it is when the job runs, to a subscription still active then (one revoked
 * meanwhile gets nothing). A refused mail or an unreachable webhook is retried; a target the URL
 * policy now refuses is not.
 */
export function noticeHandler(ctx: StatusCtx): JobHandler {
  return {
    async run(job) {
      const { subscriptionId, incidentId } = payloadOf(job);
      const [subscription, incident] = await Promise.all([
        ctx.db.statusSubscription.findUnique({ where: { id: subscriptionId } }),
        ctx.db.statusIncident.findUnique({ where: { id: incidentId } }),
      ]);
      if (subscription?.status !== 'active' || !incident) {
        return;
      }
      const target = ctx.secrets.open(subscription.targetSealed);
      if (subscription.channel === 'webhook' && subscription.webhookSecretSealed) {
        try {
          await postWebhook(ctx, target, ctx.secrets.open(subscription.webhookSecretSealed), {
            type: 'status.incident',
            subscription_id: subscription.id,
            incident: {
              incident_id: incident.id,
              service: incident.service,
              impact: incident.impact,
              severity: incident.severity,
              state: incident.state,
              occurred_at: incident.occurredAt.toISOString(),
            },
          });
        } catch (error) {
          if (error instanceof AppError && error.code === 'BAD_REQUEST') {
            throw new PermanentJobError(error.message);
          }
          throw error;
        }
        return;
      }
      const sent = await ctx.mailer.send({
        to: target,
        subject: `[${incident.state}] ${incident.service}: ${incident.impact}`,
        text: `${incident.service}: ${incident.impact}\nSeverity: ${incident.severity}\nState: ${incident.state}\nSince: ${incident.occurredAt.toISOString()}\n`,
        purpose: 'status_incident',
      });
      if (!sent) {
        throw new Error('the mail server refused the notice');
      }
    },
    async failed(job, error) {
      ctx.log.warn({ err: error, jobId: job.id, payload: job.payload }, 'status notice not delivered');
    },
  };
}

/** Starts this process's notice worker; the subgraph stops it on close. */
export async function startNoticeWorkers(kernel: Kernel): Promise<() => Promise<void>> {
  const ctx = (await createContext(kernel, {})) as unknown as StatusCtx;
  return kernel.jobs.work(NOTICE_QUEUE, noticeHandler(ctx), 2);
}
