/**
 * Slack assistant threads (Bolt's Assistant): from `assistant_thread_started` (suggested prompts
 * from the person's tools) to an answer, with the thread's title and status line showing what
 * Parley does — thinking, calling a tool, waiting for a form. Real adapter, agent, demo MCP server
 * and Redis; the fake Slack checks the assistant methods' arguments.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../adapters/slack/messages.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { SlackRig } from '../helpers/slack-rig.js';

let llm: ScriptedLlm;
let mcp: DemoMcp;
let store: RedisStore;
let rig: SlackRig;

beforeAll(async () => {
  llm = await startScriptedLlm();
  mcp = await startDemoMcp({ logger: silentLogger() });
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('slack-assistant') });
  rig = await SlackRig.start({
    mode: 'socket',
    servers: [demoServerConfig(mcp.url)],
    store,
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
  });
});
afterAll(async () => {
  await rig?.close();
  await store?.close();
  await mcp?.close();
  await llm?.close();
});
afterEach(() => {
  expect(rig.slack.violations).toEqual([]);
});

describe('Slack assistant threads', () => {
  it('suggests prompts from the tools, then answers in the thread with title and status', async () => {
    const u = 'UASSIST1';
    const { channel, threadTs } = await rig.assistantThread(u);
    const thread = () => rig.slack.assistantThread(channel, threadTs);
    await expect.poll(() => thread()?.prompts.length, { timeout: 10_000 }).toBe(4);
    expect(thread()?.prompts[0]).toEqual({
      title: expect.stringMatching(/^Use demo · /),
      message: expect.stringMatching(/^Help me use .+ on demo\.$/),
    });
    expect(thread()?.prompts[3]?.title).toBe('What can you do?');

    llm.push(
      { toolCalls: [{ name: 'demo__create_ticket', arguments: { initial_description: 'Printer on fire' } }] },
      (req) => ({ content: `Filed: ${req.messages.at(-1)?.content}` }),
    );
    await rig.slack.dm(u, 'file a ticket: the printer is on fire', { threadTs });
    const offer = await rig.waitForMessageWith(u, ACTION.formOpen);
    expect(offer.threadTs).toBe(threadTs);
    await expect.poll(() => thread()?.statuses.at(-1), { timeout: 10_000 }).toBe('is waiting for your form');
    expect(thread()?.title).toBe('file a ticket: the printer is on fire');
    const view = await rig.openForm(u, offer);
    expect(await rig.submit(u, view, { reporter_name: 'Ann', priority: 'high', category: 'bug' })).toEqual({
      ok: true,
    });
    const final = await rig.waitForText(u, /^Filed:.*T-\d+/s, 15_000);
    expect(final).toMatch(/T-\d+/);
    const statuses = thread()?.statuses.filter(Boolean);
    expect(statuses?.slice(0, 3)).toEqual([
      'is thinking…',
      'is calling demo · create_ticket…',
      'is waiting for your form',
    ]);
    // The status line replaced the "working" message: nothing with ⏳ was posted.
    expect(rig.textsSeenBy(u).some((t) => t.startsWith('⏳'))).toBe(false);
  });

  it('a threaded DM outside the assistant pane stays a plain DM (no status calls)', async () => {
    const u = 'UPLAINDM1';
    llm.push({ content: 'Plain answer.' });
    const { ts } = await rig.slack.dm(u, 'hello');
    await rig.waitForText(u, /Plain answer/);
    llm.push({ content: 'Threaded answer.' });
    await rig.slack.dm(u, 'and in a thread?', { threadTs: ts });
    await rig.waitForText(u, /Threaded answer/);
    const calls = rig.slack.calls.filter(
      (c) => c.method.startsWith('assistant.threads.') && c.args.channel_id === rig.slack.dmChannel(u),
    );
    expect(calls).toEqual([]);
  });
});
