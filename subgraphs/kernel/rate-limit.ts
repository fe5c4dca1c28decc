import { RateLimiterPrisma, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from './config.js';
import type { Db } from './db.js';
import { AppError } from './errors.js';

/**
 * A limit's points: its setting when set, else the legacy default, relaxed under NODE_ENV=test
 * (every test file's requests come from 127.0.0.1 and would share one budget).
 */
export function limitPoints(
  config: Pick<Config, 'NODE_ENV'>,
  configured: number | undefined,
  legacy: number,
): number {
  return configured ?? (config.NODE_ENV === 'test' ? 10_000 : legacy);
}

/** One hour's worth of `limitPoints`. */
export function hourly(
  config: Pick<Config, 'NODE_ENV'>,
  configured: number | undefined,
  legacy: number,
): LimitRule[] {
  return [{ points: limitPoints(config, configured, legacy), duration: 3600 }];
}

export interface LimitRule {
  /** Attempts allowed per window. */
  points: number;
  /** Window length in seconds. */
  duration: number;
}

/**
 * Rate limits stored in the database (rate-limiter-flexible over Prisma), so every process of a
 * deployment shares the counters. Each call consumes one point, so GraphQL aliases and batched
 * operations count once per field execution, not once per HTTP request.
 */
export class RateLimits {
  private readonly limiters = new Map<string, RateLimiterPrisma>();

  constructor(
    private readonly db: Db,
    private readonly enabled = true,
  ) {}

  private limiter(name: string, rule: LimitRule): RateLimiterPrisma {
    const id = `${name}:${rule.points}/${rule.duration}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterPrisma({
        storeClient: this.db,
        tableName: 'rateLimiterFlexible',
        keyPrefix: name,
        points: rule.points,
        duration: rule.duration,
        clearExpiredByTimeout: false,
      });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  /**
   * Consumes one point for `key` under each rule; throws RATE_LIMITED (429 with Retry-After)
   * when any is exhausted.
   */
  async consume(
    name: string,
    key: string,
    rules: LimitRule[],
    message = 'Too many requests. Try again later.',
  ): Promise<void> {
    if (!this.enabled) {
      return;
    }
    for (const rule of rules) {
      try {
        await this.limiter(name, rule).consume(key, 1);
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
          throw new AppError('RATE_LIMITED', message, { retryAfterSeconds });
        }
        throw error;
      }
    }
  }

  /**
   * Throws RATE_LIMITED when `key` has already used up `rule`, without consuming a point (for limits
   * that count failures: check first, then `penalize` only when the attempt fails).
   */
  async assertAvailable(
    name: string,
    key: string,
    rule: LimitRule,
    message = 'Too many requests. Try again later.',
  ): Promise<void> {
    if (!this.enabled) {
      return;
    }
    const state = await this.limiter(name, rule).get(key);
    if (state && state.consumedPoints >= rule.points) {
      throw new AppError('RATE_LIMITED', message, {
        retryAfterSeconds: Math.max(1, Math.ceil(state.msBeforeNext / 1000)),
      });
    }
  }

  /** Adds one point to `key` under `rule` without ever throwing for the limit itself. */
  async penalize(name: string, key: string, rule: LimitRule): Promise<void> {
    if (this.enabled) {
      await this.limiter(name, rule).penalty(key, 1);
    }
  }

  /** Forgets a key's counters (e.g. after a successful login). */
  async reset(name: string, key: string, rules: LimitRule[]): Promise<void> {
    await Promise.all(rules.map((rule) => this.limiter(name, rule).delete(key)));
  }
}
