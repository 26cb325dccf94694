/**
 * A Parley process for core tests: a real agent on real Redis (its own key prefix), a recording
 * surface, and whatever servers the test names. `close()` stops everything it started.
 */
import { Agent } from '../../src/agent.js';
import type { ServerConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import type { SurfaceCapabilities } from '../../src/surface.js';
import { redisUrl, testKeyPrefix } from './redis.js';
import { RecordingSurface } from './surface.js';

export type AgentExtras = Partial<ConstructorParameters<typeof Agent>[0]>;

export interface CoreRig {
  agent: Agent;
  surface: RecordingSurface;
  store: RedisStore;
  close(): Promise<void>;
}

export async function startCoreRig(
  label: string,
  servers: ServerConfig[],
  extra: AgentExtras & { capabilities?: SurfaceCapabilities; prefix?: string } = {},
): Promise<CoreRig> {
  const { capabilities, prefix, ...agentExtra } = extra;
  const store = new RedisStore({ url: redisUrl(), prefix: prefix ?? testKeyPrefix(label) });
  const surface = new RecordingSurface('test', capabilities);
  const agent = new Agent({ store, servers, logger: silentLogger(), ...agentExtra });
  agent.attach(surface);
  await agent.start();
  return {
    agent,
    surface,
    store,
    close: async () => {
      await agent.stop();
      await store.close();
    },
  };
}
