/**
 * Streamed answers on Slack: with the chat streaming API (chat.startStream / appendStream /
 * stopStream), and edited in place where a workspace doesn't offer it. The real agent, adapter and
 * demo MCP server; the fake Slack checks every streaming call against Slack's documented rules.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../adapters/slack/messages.js';
import { markdownToMrkdwn } from '../../adapters/slack/mrkdwn.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import type { ApiCall } from '../helpers/fake-slack.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { SlackRig } from '../helpers/slack-rig.js';

let llm: ScriptedLlm;
let mcp: DemoMcp;
let n = 0;
const person = (label: string) => `U${label.toUpperCase()}${++n}`;

/** An answer that takes a while to write: 16 pieces, 120 ms apart. */
const ANSWER =
  '**Summary:** the printer is on fire.\n\n- Call facilities\n- Do not open the tray\n- Use the *other* printer on floor two until it is fixed. Thanks!';
const slow = () => ({ content: ANSWER, gapMs: 120 });

/**
 * Calls on one message, in order, as Slack received them: no two closer than its pace (1 s). The
 * pace counts from each reply, so a call slow in flight doesn't bring the next one closer.
 */
function expectPaced(calls: ApiCall[]): void {
  for (let i = 1; i < calls.length; i++)
    expect((calls[i] as ApiCall).at - (calls[i - 1] as ApiCall).at).toBeGreaterThanOrEqual(1_000);
}

beforeAll(async () => {
  llm = await startScriptedLlm();
  mcp = await startDemoMcp({ logger: silentLogger() });
});
afterAll(async () => {
  await mcp?.close();
  await llm?.close();
});

describe.each([
  ['with the chat streaming API', true],
  ['edited in place without it', false],
] as const)('Slack streamed answers, %s', (_label, streaming) => {
  let rig: SlackRig;
  let store: RedisStore;
  beforeAll(async () => {
    store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix(`slack-stream-${streaming}`) });
    rig = await SlackRig.start({
      mode: 'socket',
      servers: [demoServerConfig(mcp.url)],
      store,
      llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
      fake: { streaming },
    });
  });
  afterAll(async () => {
    await rig?.close();
    await store?.close();
  });
  afterEach(() => {
    expect(rig.slack.violations).toEqual([]);
  });

  it('streams a mention’s answer in its thread, throttled, ending in the usual rendering', async () => {
    const u = person('stream');
    llm.push(slow());
    // The first update spends 400 ms in flight: the next must still reach Slack a second after it.
    rig.slack.delayArrival(streaming ? 'chat.appendStream' : 'chat.update', [400]);
    const { ts } = await rig.mention(u, 'what do I do about the printer?');
    const final = markdownToMrkdwn(ANSWER);
    await expect.poll(() => rig.seenBy(u).some((m) => m.text === final), { timeout: 15_000 }).toBe(true);
    const shown = rig.seenBy(u);
    expect(shown).toHaveLength(1); // one message: the answer, in the thread
    const [answer] = shown;
    expect(answer?.threadTs).toBe(ts);
    // It grew as it was written: several versions before the last.
    expect(answer?.history.length).toBeGreaterThan(2);
    const on = (c: ApiCall) =>
      c.args.ts === answer?.ts || (c.method === 'chat.startStream' && c.args.thread_ts === ts);
    if (streaming) {
      const calls = rig.slack.calls.filter(
        (c) => ['chat.startStream', 'chat.appendStream'].includes(c.method) && on(c),
      );
      expect(calls[0]?.method).toBe('chat.startStream');
      expect(calls.length).toBeLessThan(16);
      expectPaced(calls);
      expect(rig.slack.callsOf('chat.stopStream').filter(on)).toHaveLength(1);
      expect(answer?.stream).toBe('stopped');
    } else {
      expect(rig.slack.callsOf('chat.startStream').length).toBeGreaterThan(0); // tried, unknown_method
      const updates = rig.slack.callsOf('chat.update').filter(on);
      expect(updates.length).toBeLessThan(16);
      expect(answer?.history[0]?.text).toMatch(/^⏳/); // the "working" placeholder, edited in place
      expectPaced(updates.slice(0, -1)); // the last one is the final rendering
    }
  });

  it('text before a tool call ends its stream; the form opened mid-answer still works', async () => {
    const u = person('midform');
    llm.push(
      {
        content: 'Let me file a ticket about that for you, it will only take a moment.',
        gapMs: 100,
        toolCalls: [{ name: 'demo__create_ticket', arguments: { initial_description: 'Printer on fire' } }],
      },
      (req) => ({ content: `Filed: ${req.messages.at(-1)?.content}`, gapMs: 50 }),
    );
    await rig.mention(u, 'file a ticket: printer on fire');
    const offer = await rig.waitForMessageWith(u, ACTION.formOpen);
    const view = await rig.openForm(u, offer);
    expect(await rig.submit(u, view, { reporter_name: 'Ann', priority: 'high', category: 'bug' })).toEqual({
      ok: true,
    });
    // The finished answer: no longer streaming, no cursor, the whole text.
    const done = () =>
      rig.seenBy(u).find((m) => /^Filed:/.test(m.text) && m.stream !== 'open' && !m.text.endsWith('▍'));
    await expect.poll(() => done()?.text, { timeout: 15_000 }).toMatch(/^Filed:[\s\S]*T-\d+/);
    const texts = rig.seenBy(u).map((m) => m.text);
    const lead = texts.indexOf('Let me file a ticket about that for you, it will only take a moment.');
    expect(lead).toBeGreaterThanOrEqual(0);
    expect(texts.findIndex((t) => /^Filed:/.test(t))).toBeGreaterThan(lead);
  });
});
