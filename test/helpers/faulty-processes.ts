/**
 * Parley "processes" for store-failure tests: each an agent of its own on one Redis prefix, its
 * store wrapped in a FaultyStore (fail, lose a reply, miss a relay), showing on a recording
 * surface, against one demo MCP server the suite starts once.
 */
import { afterAll, beforeAll } from 'vitest';
import { Agent } from '../../src/agent.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from './demo.js';
import { FaultyStore } from './faulty-store.js';
import { redisUrl } from './redis.js';
import { RecordingSurface } from './surface.js';

/**
 * Registers the suite's hooks (demo server up before, everything closed after) and returns
 * `processOn(prefix, era)`, which starts one agent and returns `{ agent, store, surface }`
 * (`processOn.demoUrl()`: the demo server's URL, for agents a test builds itself).
 */
export function faultyProcesses() {
  let demo: DemoMcp | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    demo = await startDemoMcp({ logger: silentLogger() });
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await demo?.close();
  });
  const processOn = async (prefix: string, era: 'auto' | 'legacy') => {
    if (!demo) throw new Error('processOn is for use inside tests (the demo server starts in beforeAll).');
    const redis = new RedisStore({ url: redisUrl(), prefix });
    const store = new FaultyStore(redis);
    const surface = new RecordingSurface();
    const agent = new Agent({
      store,
      servers: [demoServerConfig(demo.url, { era })],
      logger: silentLogger(),
    });
    agent.attach(surface);
    await agent.start();
    cleanups.push(async () => {
      await agent.stop();
      await redis.close();
    });
    return { agent, store, surface };
  };
  const demoUrl = (): string => {
    if (!demo) throw new Error('The demo server starts in beforeAll.');
    return demo.url;
  };
  return Object.assign(processOn, { demoUrl });
}
