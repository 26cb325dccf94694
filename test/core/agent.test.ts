import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

let mcp: DemoMcp;
beforeAll(async () => {
  mcp = await startDemoMcp();
});
afterAll(async () => {
  await mcp?.close();
});

describe('agent smoke', () => {
  it('lists and calls a tool directly', async () => {
    const surface = new RecordingSurface();
    const agent = new Agent({
      store: new MemoryStore(),
      servers: [demoServerConfig(mcp.url)],
      logger: silentLogger(),
    });
    agent.attach(surface);
    await agent.start();
    await agent.message(conv('u1'), '/tools');
    expect(surface.texts('u1')[0]).toMatch(/demo__echo/);
    await agent.message(conv('u1'), '/call echo {"message":"hello"}');
    expect(surface.texts('u1').at(-1)).toMatch(/hello/);
    await agent.stop();
  });
});
