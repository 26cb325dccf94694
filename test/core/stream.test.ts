/**
 * Streamed answers in the core: the real agent, the real demo MCP server, real Redis and the
 * scripted LLM answering over server-sent events, to a surface that takes streams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent.js';
import type { Conversation } from '../../src/conversation.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore, RedisStore } from '../../src/store/index.js';
import type { OutboundMessage } from '../../src/surface.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

let llm: ScriptedLlm;
let mcp: DemoMcp;
let agent: Agent;
let store: RedisStore;
const surface = new RecordingSurface('test', undefined, true);

beforeAll(async () => {
  llm = await startScriptedLlm();
  mcp = await startDemoMcp({ logger: silentLogger() });
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('stream') });
  agent = new Agent({
    store,
    servers: [demoServerConfig(mcp.url)],
    logger: silentLogger(),
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
  });
  agent.attach(surface);
  await agent.start();
});
afterAll(async () => {
  await agent?.stop();
  await store?.close();
  await mcp?.close();
  await llm?.close();
});

const streamOf = (u: string) =>
  surface.for(u).filter((m): m is Extract<OutboundMessage, { kind: 'stream' }> => m.kind === 'stream');

describe('the LLM port, streamed', () => {
  it('hands over text as it comes and assembles the same reply, with token usage', async () => {
    llm.push({ content: 'One two three.' });
    const pieces: string[] = [];
    const model = new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' });
    const reply = await model.complete(
      { messages: [{ role: 'user', content: 'count' }] },
      { onText: (d) => pieces.push(d) },
    );
    expect(pieces).toEqual(['One', ' two', ' three.']);
    expect(reply).toMatchObject({ content: 'One two three.', toolCalls: [], model: 'scripted' });
    expect(reply.usage).toEqual({ prompt: 1, completion: 3 });
    expect(llm.requests.at(-1)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });
});

describe('streamed answers', () => {
  it('streams the answer in order and ends with the whole text', async () => {
    const u = 'stream-plain';
    const answer = 'Hello there, **friend**.\nHere is a list:\n- one\n- two';
    llm.push({ content: answer });
    await agent.message(conv(u), 'hi');
    expect(llm.requests.at(-1)?.stream).toBe(true);
    const msgs = streamOf(u);
    const appends = msgs.filter((m) => m.phase === 'append');
    expect(appends.length).toBeGreaterThan(0);
    expect(appends.map((m) => m.text).join('')).toBe(answer);
    expect(msgs.at(-1)).toMatchObject({ phase: 'stop', text: answer });
    expect(msgs.filter((m) => m.phase === 'stop')).toHaveLength(1);
    // Not said a second time as a whole text.
    expect(surface.for(u).filter((m) => m.kind === 'text')).toEqual([]);
  });

  it('assembles tool calls from streamed pieces; a form opened mid-answer still works', async () => {
    const u = 'stream-form';
    llm.push(
      {
        content: 'Let me file that for you.',
        toolCalls: [{ name: 'demo__create_ticket', arguments: { initial_description: 'Printer on fire' } }],
      },
      (req) => ({ content: `Filed: ${req.messages.at(-1)?.content}` }),
    );
    const turn = agent.message(conv(u), 'file a ticket: printer on fire');
    const form = await surface.waitFor(u, 'form');
    expect(
      await agent.answer(form.id, conv(u), {
        action: 'submit',
        values: { reporter_name: 'Ann', priority: 'high', category: 'bug' },
      }),
    ).toEqual({ ok: true });
    await turn;
    const final = await surface.waitForText(u, /^Filed:/);
    expect(final).toMatch(/T-\d+/);
    // The text before the call ended its own stream, then the status line, then the form.
    const kinds = surface.for(u).map((m) => (m.kind === 'stream' ? `stream:${m.phase}` : m.kind));
    const first = kinds.indexOf('stream:stop');
    expect(kinds.slice(first, first + 3)).toEqual(['stream:stop', 'progress', 'form']);
    const stops = streamOf(u).filter((m) => m.phase === 'stop');
    expect(stops.map((m) => m.text)).toEqual(['Let me file that for you.', final]);
    expect(new Set(streamOf(u).map((m) => m.id)).size).toBe(2);
    // The model saw the whole call, assembled from its pieces.
    const call = llm.requests.at(-1)?.messages.find((m) => m.tool_calls)?.tool_calls?.[0];
    expect(call).toMatchObject({
      function: { name: 'demo__create_ticket', arguments: '{"initial_description":"Printer on fire"}' },
    });
  });
});

/** A streaming surface whose platform refuses to finish streams (a stop throws). */
class StopRefusingSurface extends RecordingSurface {
  override async post(conversation: Conversation, message: OutboundMessage): Promise<void> {
    if (message.kind === 'stream' && message.phase === 'stop') throw new Error('platform refused');
    return super.post(conversation, message);
  }
}

describe('a stream the surface fails to finish', () => {
  it('still ends with the whole answer, said plainly', async () => {
    const flaky = new StopRefusingSurface('flaky', undefined, true);
    const other = new Agent({
      store: new MemoryStore(),
      servers: [],
      logger: silentLogger(),
      llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
    });
    other.attach(flaky);
    await other.start();
    try {
      llm.push({ content: 'The whole answer, even so.' });
      await other.message(conv('stream-refused', 'C1', 'flaky'), 'hi');
      expect(flaky.for('stream-refused').some((m) => m.kind === 'stream' && m.phase === 'append')).toBe(true);
      // Said plainly, and still the model's answer: people may rate it.
      expect(flaky.for('stream-refused').filter((m) => m.kind === 'text')).toEqual([
        { kind: 'text', text: 'The whole answer, even so.', answerId: expect.any(String) },
      ]);
    } finally {
      await other.stop();
    }
  });
});
