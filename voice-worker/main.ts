/**
 * `npm run start:voice-worker`: the LiveKit Agents worker of the platform. It registers with the
 * LiveKit server (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET) under LIVEKIT_AGENT_NAME, so it
 * only gets the jobs the platform dispatches explicitly, and runs each in a job process (agent.ts).
 * Without a command it runs `start` (production mode); `dev` and `connect --room …` work as in
 * the Agents CLI.
 */
import { fileURLToPath } from 'node:url';
import { cli, ServerOptions } from '@livekit/agents';
import { workerSettings } from './job.js';

const settings = workerSettings();
const missing = [
  ['LIVEKIT_URL', settings.livekitUrl],
  ['LIVEKIT_API_KEY', settings.livekitApiKey],
  ['LIVEKIT_API_SECRET', settings.livekitApiSecret],
].filter(([, value]) => !value);
if (missing.length) {
  console.error(
    `voice-worker: set ${missing.map(([name]) => name).join(', ')} (the LiveKit server to register with).`,
  );
  process.exit(1);
}
if (process.argv.length < 3) {
  process.argv.push('start');
}

cli.runApp(
  new ServerOptions({
    // The agent module beside this one: agent.ts from the sources, agent.js from dist/.
    agent: fileURLToPath(
      new URL(import.meta.url.endsWith('.ts') ? './agent.ts' : './agent.js', import.meta.url),
    ),
    agentName: settings.agentName,
    wsURL: settings.livekitUrl as string,
    apiKey: settings.livekitApiKey as string,
    apiSecret: settings.livekitApiSecret as string,
  }),
);
