import type { DomainModule } from '../kernel/domain.js';
import type { Kernel } from '../kernel/kernel.js';
import { startDialer } from './calls/dial.job.js';
import { voiceRest } from './rest.js';
import { schema } from './schema.js';
import { voiceScopes } from './scopes.js';
import { startAgentTimeouts } from './timeouts.js';

/** Background work of every process serving voice: the agent-join timeout sweep and the dialer. */
async function startVoiceWorkers(kernel: Kernel): Promise<() => Promise<void>> {
  const stops = [await startAgentTimeouts(kernel), await startDialer(kernel)];
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

export const voiceSubgraph: DomainModule<keyof typeof voiceScopes> = {
  name: 'voice',
  schema,
  scopes: voiceScopes,
  rest: voiceRest,
  start: startVoiceWorkers,
};
