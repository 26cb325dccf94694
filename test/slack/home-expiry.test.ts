/**
 * The Slack App Home: what a person sees when a form listed on their home expires, and when they
 * click it there anyway. Real agent on Redis, the demo MCP server, the fake Slack.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../adapters/slack/blocks.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { blockTexts } from '../helpers/fake-slack.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { actionElement, SlackRig } from '../helpers/slack-rig.js';

type Obj = Record<string, unknown>;

let mcp: DemoMcp;
let store: RedisStore;
let rig: SlackRig;

beforeAll(async () => {
  mcp = await startDemoMcp({ logger: silentLogger() });
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('trial-slack-home') });
  rig = await SlackRig.start({
    mode: 'socket',
    servers: [demoServerConfig(mcp.url)],
    store,
    pendingTtlMs: 4_000,
  });
});
afterAll(async () => {
  await rig?.close();
  await store?.close();
  await mcp?.close();
});
afterEach(() => {
  expect(rig.slack.violations).toEqual([]);
});

function homeText(user: string): string {
  const view = rig.slack.homes.get(user)?.view;
  return blockTexts((Array.isArray(view?.blocks) ? view.blocks : []) as Obj[]).join('\n');
}

describe('Slack App Home: a form that expires', () => {
  it('leaves the home when it lapses, unclicked (its process closes it)', async () => {
    const u = 'UHOMEEXP0';
    await rig.mention(u, '/call demo__create_ticket_v2 {"initial_description":"Lapsed"}', 'CHX');
    await rig.waitForMessageWith(u, ACTION.formOpen);
    await rig.slack.openHome(u);
    await expect.poll(() => homeText(u), { timeout: 10_000 }).toMatch(/create_ticket_v2/);
    await expect.poll(() => homeText(u), { timeout: 10_000 }).not.toMatch(/create_ticket_v2/);
    expect(homeText(u)).toMatch(/Nothing is waiting for you/);
  });

  it('clicked on the home after it expired, leaves the home (the click can say nothing else)', async () => {
    const u = 'UHOMEEXP1';
    await rig.mention(u, '/call demo__create_ticket_v2 {"initial_description":"Late"}', 'CHX');
    const offer = await rig.waitForMessageWith(u, ACTION.formOpen);
    const formId = String(actionElement(offer, ACTION.formOpen).value);
    // As after a restart: nothing closes the form when it lapses, so the home still shows it.
    rig.agent.forgetShownInteractions();
    await rig.slack.openHome(u);
    await expect.poll(() => homeText(u), { timeout: 10_000 }).toMatch(/create_ticket_v2/);
    await new Promise((r) => setTimeout(r, 4_500));
    await rig.slack.clickHome(u, ACTION.formOpen, formId);
    await rig.adapter.idle();
    // The click opened nothing and said nothing (a home click has no response_url): the home must
    // at least stop offering what can no longer be answered.
    await expect.poll(() => homeText(u), { timeout: 5_000 }).not.toMatch(/create_ticket_v2/);
    expect(homeText(u)).toMatch(/Nothing is waiting for you/);
  });
});
