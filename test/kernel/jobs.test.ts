import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../subgraphs/kernel/db.js';
import { type ClaimedJob, enqueueJob, JobQueue, PermanentJobError } from '../../subgraphs/kernel/jobs.js';
import { createLogger } from '../../subgraphs/kernel/logger.js';
import { bootStack, type TestStack } from '../kit/stack.js';

/** The job queue on the test database (PGlite, or the shared PostgreSQL in CI): each test its own queue. */

let t: TestStack;
let db: Db;
const log = createLogger('silent');
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  t = await bootStack();
  db = t.stack.kernel.database.prisma;
});
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await t?.close();
});

const queueOptions = { leaseMs: 600, pollMs: 20, ownsDatabase: false };
const until = async (check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the job queue', () => {
  it('runs each job exactly once with two workers competing (SKIP LOCKED)', async () => {
    const queue = `test.${randomUUID()}`;
    const ran: string[] = [];
    const handler = {
      async run(job: ClaimedJob) {
        ran.push((job.payload as { n: string }).n);
        await new Promise((r) => setTimeout(r, 5));
      },
    };
    for (let i = 0; i < 40; i++) {
      await enqueueJob(db, queue, { n: String(i) });
    }
    const a = new JobQueue(db, log, queueOptions);
    const b = new JobQueue(db, log, queueOptions);
    stops.push(await a.work(queue, handler, 3), await b.work(queue, handler, 3));
    await until(async () => (await db.job.count({ where: { queue, doneAt: null } })) === 0);
    expect(ran.sort()).toEqual(Array.from({ length: 40 }, (_, i) => String(i)).sort());
  });

  it('claims a job again once the lease of a worker that died runs out', async () => {
    const queue = `test.${randomUUID()}`;
    const id = await enqueueJob(db, queue, { n: 'orphan' });
    // A worker claimed it and died: its lease is still running.
    await db.$executeRaw`UPDATE job SET "lockedBy" = 'dead-worker', "lockedUntil" = now() + interval '700 milliseconds', attempts = 1 WHERE id = ${id}::uuid`;
    const runs: number[] = [];
    const started = Date.now();
    const queueOf = new JobQueue(db, log, queueOptions);
    stops.push(await queueOf.work(queue, { run: async () => void runs.push(Date.now() - started) }, 1));
    await until(async () => (await db.job.findUniqueOrThrow({ where: { id } })).doneAt !== null);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toBeGreaterThanOrEqual(500);
    expect((await db.job.findUniqueOrThrow({ where: { id } })).attempts).toBe(2);
  });

  it('renews the lease of a long job, so nobody else takes it', async () => {
    const queue = `test.${randomUUID()}`;
    const id = await enqueueJob(db, queue, {});
    let runs = 0;
    const slow = {
      async run() {
        runs++;
        await new Promise((r) => setTimeout(r, 2000));
      },
    };
    const a = new JobQueue(db, log, queueOptions);
    const b = new JobQueue(db, log, queueOptions);
    stops.push(await a.work(queue, slow, 1), await b.work(queue, slow, 1));
    await until(async () => (await db.job.findUniqueOrThrow({ where: { id } })).doneAt !== null);
    expect(runs).toBe(1);
  });

  it('retries a failing job with backoff, then reports it failed; a permanent error fails at once', async () => {
    const queue = `test.${randomUUID()}`;
    const retried = await enqueueJob(db, queue, { kind: 'flaky' }, { maxAttempts: 2 });
    const permanent = await enqueueJob(db, queue, { kind: 'bad' }, { maxAttempts: 5 });
    const failures: [string, string][] = [];
    const attempts = new Map<string, number>();
    const queueOf = new JobQueue(db, log, queueOptions);
    stops.push(
      await queueOf.work(
        queue,
        {
          async run(job) {
            attempts.set(job.id, (attempts.get(job.id) ?? 0) + 1);
            throw (job.payload as { kind: string }).kind === 'bad'
              ? new PermanentJobError('cannot be done')
              : new Error('provider down');
          },
          async failed(job, error) {
            failures.push([job.id, (error as Error).message]);
          },
        },
        2,
      ),
    );
    await until(async () => failures.length === 2, 15_000);
    expect(new Map(failures)).toEqual(
      new Map([
        [permanent, 'cannot be done'],
        [retried, 'provider down'],
      ]),
    );
    expect(attempts.get(permanent)).toBe(1);
    expect(attempts.get(retried)).toBe(2);
    const row = await db.job.findUniqueOrThrow({ where: { id: retried } });
    expect(row.failedAt).not.toBeNull();
    expect(row.lastError).toBe('provider down');
  });
});
