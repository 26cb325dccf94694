/**
 * The console prints an answer as the model writes it: the real agent and console adapter, the
 * scripted LLM streaming its answer piece by piece.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConsoleAdapter } from '../../adapters/console/console.js';
import { Agent } from '../../src/agent.js';
import { OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/index.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';

let llm: ScriptedLlm;
beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(async () => {
  await llm?.close();
});

it('prints tokens as they come, laid out as a whole answer', async () => {
  const answer = 'First line of the answer,\nand a second line to finish.';
  llm.push({ content: answer, gapMs: 40 });
  const agent = new Agent({
    store: new MemoryStore(),
    servers: [],
    logger: silentLogger(),
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
  });
  const input = new PassThrough();
  const output = new PassThrough();
  const writes: string[] = [];
  output.on('data', (c: Buffer) => writes.push(c.toString()));
  const adapter = new ConsoleAdapter({ agent, input, output });
  agent.attach(adapter);
  await agent.start();
  const run = adapter.run();
  input.end('hello\n');
  await run;
  await agent.stop();
  const transcript = writes.join('');
  expect(transcript).toContain(`parley> First line of the answer,\n        and a second line to finish.\n`);
  // Written in pieces: the first words were out before the last arrived.
  const first = writes.findIndex((w) => w.includes('First'));
  const last = writes.findIndex((w) => w.includes('finish.'));
  expect(first).toBeGreaterThanOrEqual(0);
  expect(last).toBeGreaterThan(first);
});
