/**
 * A real Parley process for tests about processes (a kill, a freeze, a restart, several
 * processes on one Redis topology): the real agent on the store the environment names
 * (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS + REDIS_SENTINEL_NAME, read by
 * parseStoreEnv as Parley reads them) under the prefix it is given, serving the servers in
 * PARLEY_TEST_SERVERS (JSON), with a surface that writes every post to stdout as one JSON line.
 * Stdin takes one JSON line each: `{"conversation": {...}, "text": "..."}` (a message) or
 * `{"answer": {"id", "actor", "answer"}, "ref": n}` (a form answered here), whose reply is written
 * back as `{"reply": {...}, "ref": n}`.
 */
import { createInterface } from 'node:readline';
import { Agent } from '../../src/agent.js';
import { serverSchema } from '../../src/config.js';
import type { Actor, Conversation } from '../../src/conversation.js';
import type { Answer } from '../../src/inbound.js';
import { silentLogger } from '../../src/logger.js';
import { createStore, parseStoreEnv } from '../../src/store/index.js';
import type { OutboundMessage } from '../../src/surface.js';

const env = process.env;
const store = createStore({ config: parseStoreEnv(env), prefix: env.PARLEY_TEST_PREFIX as string });
const servers = (JSON.parse(env.PARLEY_TEST_SERVERS ?? '[]') as unknown[]).map((s) => serverSchema.parse(s));
const agent = new Agent({
  store,
  servers,
  logger: silentLogger(),
  ...(env.PARLEY_TEST_PROCESS_ID && { processId: env.PARLEY_TEST_PROCESS_ID }),
  ...(env.PARLEY_TEST_LEASE_MS && { turnLeaseMs: Number(env.PARLEY_TEST_LEASE_MS) }),
});
const write = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
agent.attach({
  platform: 'test',
  async post(conversation: Conversation, message: OutboundMessage) {
    write({ conversation, message });
  },
});
await agent.start();
write({ ready: agent.processId });
createInterface({ input: process.stdin }).on('line', (line) => {
  const parsed = JSON.parse(line) as
    | { conversation: Conversation; text: string }
    | { answer: { id: string; actor: Actor; answer: Answer }; ref: number };
  if ('answer' in parsed) {
    const { id, actor, answer } = parsed.answer;
    void agent
      .answer(id, actor, answer)
      .catch((err: unknown) => ({ ok: false, code: 'threw', message: String(err) }))
      .then((reply) => write({ reply, ref: parsed.ref }));
  } else void agent.message(parsed.conversation, parsed.text);
});
process.on('SIGTERM', () => {
  void agent.stop().finally(() => process.exit(0));
});
