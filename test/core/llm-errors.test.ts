/**
 * What a person is told when the language model refuses a request for a reason that waiting won't
 * cure: the conversation is longer than the model's context (a long paste into a model with a
 * small window, through OPENAI_BASE_URL), or OPENAI_MODEL names a model the server doesn't have.
 * Both were "The language model is not answering right now. Please try again in a moment." — and
 * trying again fails the same way, for ever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiLlm } from '../../src/llm.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv } from '../helpers/surface.js';

let llm: ScriptedLlm;
let rig: CoreRig;
beforeAll(async () => {
  llm = await startScriptedLlm();
  rig = await startCoreRig('trial-llm-errors', [], {
    llm: new OpenAiLlm({ apiKey: 'test', baseURL: llm.baseURL, model: 'scripted' }),
  });
});
afterAll(async () => {
  await rig?.close();
  await llm?.close();
});

describe('a request the model refuses for good', () => {
  it('too long for its context: the person is told so, and how to go on', async () => {
    llm.push({
      status: 400,
      error:
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 10342 tokens. Please reduce the length of the messages.",
    });
    await rig.agent.message(conv('ctx'), 'x '.repeat(20_000));
    const said = rig.surface.texts('ctx').join('\n');
    expect(said).not.toMatch(/try again in a moment/);
    expect(said).toMatch(/too long/i);
    expect(said).toMatch(/\/reset/);
  });

  it('an unknown model: an admin is told to check OPENAI_MODEL', async () => {
    llm.push({ status: 404, error: 'The model `gpt-9` does not exist or you do not have access to it.' });
    await rig.agent.message(conv('model'), 'hello');
    const said = rig.surface.texts('model').join('\n');
    expect(said).not.toMatch(/try again in a moment/);
    expect(said).toMatch(/OPENAI_MODEL/);
  });
});
