import type { DomainCtx } from '../kernel/context.js';

/**
 * The tables platform owns: none. It serves what the kernel keeps (usage counters, the mail outbox)
 * and what needs no table (frontend logs go to the log).
 */
export const PLATFORM_MODELS = [] as const;

/** The request context of platform's services. */
export type PlatformCtx = DomainCtx<never>;
