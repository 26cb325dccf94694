/**
 * A real Parley process for tests about processes (a kill, a freeze, a restart): the real agent
 * on the Redis prefix it is given, serving the servers in PARLEY_TEST_SERVERS (JSON), with a
 * surface that writes every post to stdout as one JSON line. Messages come in on stdin, one JSON
 * line each: `{"conversation": {...}, "text": "..."}`.
 */
import { createInterface } from 'node:readline';
import { Agent } from '../../src/agent.js';
import { serverSchema } from '../../src/config.js';
import type { Conversation } from '../../src/conversation.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import type { OutboundMessage } from '../../src/surface.js';

const env = process.env;
const store = new RedisStore({ url: env.REDIS_URL as string, prefix: env.PARLEY_TEST_PREFIX as string });
const servers = (JSON.parse(env.PARLEY_TEST_SERVERS ?? '[]') as unknown[]).map((s) => serverSchema.parse(s));
const agent = new Agent({
  store,
  servers,
  logger: silentLogger(),
  ...(env.PARLEY_TEST_PROCESS_ID && { processId: env.PARLEY_TEST_PROCESS_ID }),
  ...(env.PARLEY_TEST_LEASE_MS && { turnLeaseMs: Number(env.PARLEY_TEST_LEASE_MS) }),
});
agent.attach({
  platform: 'test',
  async post(conversation: Conversation, message: OutboundMessage) {
    process.stdout.write(`${JSON.stringify({ conversation, message })}\n`);
  },
});
await agent.start();
process.stdout.write(`${JSON.stringify({ ready: agent.processId })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const { conversation, text } = JSON.parse(line) as { conversation: Conversation; text: string };
  void agent.message(conversation, text);
});
process.on('SIGTERM', () => {
  void agent.stop().finally(() => process.exit(0));
});
