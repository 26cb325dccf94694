/**
 * `/resources` without a language model (`npm start` as it comes): its closing hint tells the
 * person to ask in plain words, which without a model only earns "No language model is
 * configured". Found with server-everything in the console.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSchema } from '../../src/config.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { conv } from '../helpers/surface.js';

let mini: Awaited<ReturnType<typeof startMiniMcp>>;
let bare: CoreRig;

beforeAll(async () => {
  mini = await startMiniMcp('kb', (server) => {
    server.registerResource('handbook', 'kb://handbook', { title: 'Team handbook' }, async (uri) => ({
      contents: [{ uri: uri.href, text: 'Ship on Fridays.' }],
    }));
  });
  bare = await startCoreRig('trial-resources-bare', [serverSchema.parse({ name: 'kb', url: mini.url })]);
});
afterAll(async () => {
  await bare?.close();
  await mini?.close();
});

describe('/resources without a model', () => {
  it('doesn’t invite the person to ask for one in words, which can’t work', async () => {
    await bare.agent.message(conv('rb'), '/resources');
    const listing = (await bare.surface.waitForText('rb', /kb:\/\/handbook/)) as string;
    // Following the hint:
    await bare.agent.message(conv('rb'), 'read kb://handbook');
    await bare.surface.waitForText('rb', /No language model is configured/);
    expect(listing).not.toMatch(/Ask me to read one/);
    expect(listing).toMatch(/OPENAI_API_KEY/);
  });
});
