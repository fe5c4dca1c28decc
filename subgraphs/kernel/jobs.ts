import { randomUUID } from 'node:crypto';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Db, DbTx } from './db.js';
import type { Logger } from './logger.js';

/**
 * Durable background jobs in PostgreSQL (the `job` table), the same on PGlite: enqueued inside the
 * transaction that makes them necessary, claimed with `FOR UPDATE SKIP LOCKED` under a lease that
 * the worker renews while it runs. A worker that dies stops renewing; its job is claimed again when
 * the lease runs out (at once on the embedded database, which one process owns). Handlers must be
 * safe to run again: a job may run more than once, never concurrently with itself.
 */

export interface EnqueueOptions {
  tenantId?: string | null;
  maxAttempts?: number;
  runAt?: Date;
}

/** Queues a job; call it inside the transaction whose commit makes the job due. */
export async function enqueueJob(
  tx: DbTx,
  queue: string,
  payload: Prisma.InputJsonValue,
  options: EnqueueOptions = {},
): Promise<string> {
  const job = await tx.job.create({
    data: {
      queue,
      payload,
      tenantId: options.tenantId ?? null,
      maxAttempts: options.maxAttempts ?? 3,
      runAt: options.runAt ?? new Date(),
    },
    select: { id: true },
  });
  return job.id;
}

/** A job a worker holds. */
export interface ClaimedJob {
  id: string;
  queue: string;
  payload: unknown;
  tenantId: string | null;
  attempts: number;
  maxAttempts: number;
}

/** A failure not worth retrying (bad input, unsupported file): the job fails at once. */
export class PermanentJobError extends Error {}

export interface JobHandler {
  run(job: ClaimedJob, signal: AbortSignal): Promise<void>;
  /** The job will not run again (attempts spent or a PermanentJobError): record why. */
  failed?(job: ClaimedJob, error: unknown): Promise<void>;
}

export interface JobQueueOptions {
  leaseMs: number;
  pollMs: number;
  /** The embedded database: this process owns every lease, so stale ones are released at start. */
  ownsDatabase: boolean;
}

interface Runner {
  queue: string;
  handler: JobHandler;
  concurrency: number;
  running: Set<Promise<void>>;
  wake: () => void;
  stopped: boolean;
  loop: Promise<void>;
  controllers: Set<AbortController>;
}

export class JobQueue {
  readonly workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly runners = new Map<string, Runner>();
  private released = false;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly options: JobQueueOptions,
  ) {}

  /** Wakes this process's idle workers of a queue (after a commit that enqueued work). */
  nudge(queue: string): void {
    this.runners.get(queue)?.wake();
  }

  /** Starts `concurrency` workers on a queue; the returned function stops them (running jobs finish or are aborted). */
  async work(queue: string, handler: JobHandler, concurrency: number): Promise<() => Promise<void>> {
    if (this.runners.has(queue)) {
      throw new Error(`job queue ${queue} already has workers in this process`);
    }
    if (this.options.ownsDatabase && !this.released) {
      this.released = true;
      await this.db.$executeRaw`
        UPDATE job SET "lockedBy" = NULL, "lockedUntil" = NULL
        WHERE "doneAt" IS NULL AND "failedAt" IS NULL AND "lockedUntil" IS NOT NULL`;
    }
    let wakeUp: (() => void) | null = null;
    const runner: Runner = {
      queue,
      handler,
      concurrency,
      running: new Set(),
      wake: () => wakeUp?.(),
      stopped: false,
      loop: Promise.resolve(),
      controllers: new Set(),
    };
    const idle = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wakeUp = null;
          resolve();
        }
        wakeUp = done;
      });
    runner.loop = (async () => {
      while (!runner.stopped) {
        if (runner.running.size >= runner.concurrency) {
          await Promise.race([...runner.running, idle(this.options.pollMs)]);
          continue;
        }
        let job: ClaimedJob | null = null;
        try {
          job = await this.claim(queue);
        } catch (error) {
          if (!runner.stopped) {
            this.log.warn({ err: error, queue }, 'job claim failed');
          }
        }
        if (!job) {
          await idle(this.options.pollMs);
          continue;
        }
        const running: Promise<void> = this.execute(runner, job).finally(() => {
          runner.running.delete(running);
        });
        runner.running.add(running);
      }
    })();
    this.runners.set(queue, runner);
    return async () => {
      runner.stopped = true;
      runner.wake();
      for (const controller of runner.controllers) {
        controller.abort(new Error('worker stopping'));
      }
      await runner.loop;
      await Promise.allSettled([...runner.running]);
      this.runners.delete(queue);
    };
  }

  private async claim(queue: string): Promise<ClaimedJob | null> {
    const leaseMs = this.options.leaseMs;
    const rows = await this.db.$queryRaw<ClaimedJob[]>`
      UPDATE job SET "lockedBy" = ${this.workerId},
        "lockedUntil" = now() + make_interval(secs => ${leaseMs / 1000}::float8),
        attempts = attempts + 1, "updatedAt" = now()
      WHERE id = (
        SELECT id FROM job
        WHERE queue = ${queue} AND "doneAt" IS NULL AND "failedAt" IS NULL AND "runAt" <= now()
          AND ("lockedUntil" IS NULL OR "lockedUntil" < now())
        ORDER BY "runAt", "createdAt"
        FOR UPDATE SKIP LOCKED
        LIMIT 1)
      RETURNING id, queue, payload, "tenantId", attempts, "maxAttempts"`;
    return rows[0] ?? null;
  }

  private async execute(runner: Runner, job: ClaimedJob): Promise<void> {
    const controller = new AbortController();
    runner.controllers.add(controller);
    const leaseMs = this.options.leaseMs;
    const heartbeat = setInterval(
      () => {
        void this.db.$executeRaw`
        UPDATE job SET "lockedUntil" = now() + make_interval(secs => ${leaseMs / 1000}::float8)
        WHERE id = ${job.id}::uuid AND "lockedBy" = ${this.workerId}`
          .then((renewed) => {
            if (renewed === 0) {
              controller.abort(new Error('job lease lost'));
            }
          })
          .catch(() => undefined);
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    try {
      await runner.handler.run(job, controller.signal);
      await this.db.$executeRaw`
        UPDATE job SET "doneAt" = now(), "lockedBy" = NULL, "lockedUntil" = NULL, "updatedAt" = now()
        WHERE id = ${job.id}::uuid AND "lockedBy" = ${this.workerId}`;
    } catch (error) {
      if (runner.stopped && controller.signal.aborted) {
        return; // shutting down: the job stays claimed until its lease runs out, then runs again
      }
      const message = error instanceof Error ? error.message : String(error);
      const final = error instanceof PermanentJobError || job.attempts >= job.maxAttempts;
      this.log.warn({ err: error, job: job.id, queue: job.queue, final }, 'job failed');
      if (final) {
        await this.db.$executeRaw`
          UPDATE job SET "failedAt" = now(), "lastError" = ${message.slice(0, 2000)},
            "lockedBy" = NULL, "lockedUntil" = NULL, "updatedAt" = now()
          WHERE id = ${job.id}::uuid`;
        await runner.handler.failed?.(job, error);
      } else {
        const backoffSeconds = 2 ** job.attempts;
        await this.db.$executeRaw`
          UPDATE job SET "runAt" = now() + make_interval(secs => ${backoffSeconds}::float8),
            "lastError" = ${message.slice(0, 2000)}, "lockedBy" = NULL, "lockedUntil" = NULL,
            "updatedAt" = now()
          WHERE id = ${job.id}::uuid`;
      }
    } finally {
      clearInterval(heartbeat);
      runner.controllers.delete(controller);
    }
  }
}
