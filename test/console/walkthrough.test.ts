/**
 * Every interaction pattern end to end through the console adapter, as `npm run demo` plays them,
 * but on real Redis and with the scripted OpenAI-compatible LLM server answering both sampling
 * and a plain-language turn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWalkthrough } from '../../adapters/main/demo.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';

let llm: ScriptedLlm;
beforeAll(async () => {
  llm = await startScriptedLlm([
    // Step 8 of the walkthrough: the server's sampling request.
    { content: '(demo model) One open ticket; nothing looks urgent.' },
    // The extra plain-language turn: the model calls a tool, then answers with its result.
    { toolCalls: [{ name: 'demo__echo', arguments: { message: 'said through the model' } }] },
    (req) => ({ content: `The tool answered: ${req.messages.at(-1)?.content}` }),
  ]);
});
afterAll(async () => {
  await llm.close();
});

describe('console walkthrough on Redis with a scripted LLM', () => {
  it('runs every pattern and a plain-language turn', async () => {
    const { transcript, missing } = await runWalkthrough({
      env: {
        REDIS_URL: redisUrl(),
        // Required with REDIS_URL: every process on one Redis seals sign-ins with the same secret.
        PARLEY_SECRET: 'walkthrough-test-secret',
        REDIS_PREFIX: testKeyPrefix('walkthrough'),
        OPENAI_API_KEY: 'test-key',
        OPENAI_BASE_URL: llm.baseURL,
        OPENAI_MODEL: 'scripted',
        LOG_LEVEL: 'silent',
      },
      extraLines: ['please echo something for me'],
    });
    expect(missing).toEqual([]);
    expect(transcript).toContain('Store: Redis');
    // The banner names the configured model and where it runs.
    expect(transcript).toMatch(/LLM: scripted at 127\.0\.0\.1:\d+/);
    expect(transcript).toMatch(/parley> The tool answered: said through the model/);
    // The sampling request reached the scripted model with a bounded maxTokens.
    const sampling = llm.requests[0];
    expect(sampling?.tools).toBeUndefined();
    expect(sampling?.max_tokens).toBeLessThanOrEqual(1024);
    expect(transcript).not.toMatch(/at .*\.ts:\d+|Error: /);
  });
});
