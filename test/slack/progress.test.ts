/**
 * A tool's progress on Slack: the "working" placeholder in the thread is rewritten with each
 * progress update (in order), then becomes the answer. Real adapter, agent, mini MCP server.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { serverSchema } from '../../src/config.js';
import { RedisStore } from '../../src/store/index.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { registerProgressTools } from '../helpers/progress-tools.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { SlackRig } from '../helpers/slack-rig.js';

let mini: Awaited<ReturnType<typeof startMiniMcp>>;
let store: RedisStore;
let rig: SlackRig;

beforeAll(async () => {
  mini = await startMiniMcp('mini', (server) => registerProgressTools(server, 1_100));
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('slack-progress') });
  rig = await SlackRig.start({
    mode: 'socket',
    servers: [serverSchema.parse({ name: 'mini', url: mini.url })],
    store,
  });
});
afterAll(async () => {
  await rig?.close();
  await store?.close();
  await mini?.close();
});
afterEach(() => {
  expect(rig.slack.violations).toEqual([]);
});

it('shows a tool’s progress in the thread’s status message, in order, then the result', async () => {
  const u = 'UPROG1';
  await rig.mention(u, '/call mini__slow_job {}');
  await rig.waitForText(u, /job done/, 15_000);
  const said = rig.seenBy(u).flatMap((m) => FakeSlack.said(m));
  const steps = said.filter((t) => /\d\/3 — /.test(t));
  expect(steps).toEqual([
    '⏳ Running mini · slow_job… 1/3 — copying',
    '⏳ Running mini · slow_job… 2/3 — indexing',
    '⏳ Running mini · slow_job… 3/3 — checking',
  ]);
  expect(rig.seenBy(u)).toHaveLength(1); // one status message, which became the answer
});
