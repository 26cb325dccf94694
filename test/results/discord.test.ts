/**
 * Tool results on Discord: images, audio and blobs arrive as attachments (multipart, described
 * in `attachments`, within Discord's documented limits) on the answer; a 1 MB result is one
 * bounded message with a note.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serverSchema } from '../../src/config.js';
import { RedisStore } from '../../src/store/index.js';
import { type DiscordWorld, startDiscordWorld } from '../helpers/discord-world.js';
import type { FakeMessage } from '../helpers/fake-discord.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { registerResultTools, TINY_PNG } from '../helpers/result-tools.js';

let mini: { url: string; close(): Promise<void> };
let store: RedisStore;
let w: DiscordWorld;

beforeAll(async () => {
  mini = await startMiniMcp('res', registerResultTools);
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('discord-results') });
  w = await startDiscordWorld({
    servers: [serverSchema.parse({ name: 'res', url: mini.url })],
    store,
    transport: 'gateway',
  });
});
afterAll(async () => {
  await w?.close();
  await store?.close();
  await mini?.close();
});
afterEach(() => {
  expect(w.fake.violations).toEqual([]);
});

const withFiles = (m: FakeMessage) => m.attachments.length > 0;

describe('tool results on Discord', () => {
  it('an image is an attachment on the answer, bytes intact', async () => {
    const dm = w.fake.dmChannel('ivy');
    await w.say('ivy', dm, '/call res__image {}');
    const m = await w.waitForMessage('ivy', [dm.id], withFiles);
    expect(m.content).toContain('here is the picture');
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]).toMatchObject({ filename: 'image-1.png', contentType: 'image/png' });
    expect(m.attachments[0]?.bytes.toString('base64')).toBe(TINY_PNG);
  });

  it('audio alone is an attachment with a short line', async () => {
    const dm = w.fake.dmChannel('abe');
    await w.say('abe', dm, '/call res__audio {}');
    const m = await w.waitForMessage('abe', [dm.id], withFiles);
    expect(m.attachments[0]).toMatchObject({ filename: 'audio-1.wav', contentType: 'audio/wav' });
  });

  it('a 1 MB result is one message, with a note saying what was cut', async () => {
    const dm = w.fake.dmChannel('hugo');
    await w.say('hugo', dm, '/call res__huge {}');
    const m = await w.waitForMessage('hugo', [dm.id], (x) => /Cut for the person/.test(x.content));
    expect(m.content).toContain('showing 3,500 of 1,048,576 characters');
    await w.agent.whenIdle();
    const posted = [...w.fake.messages.values()].filter(
      (x) => x.channelId === dm.id && /x{100}/.test(x.content),
    );
    expect(posted.length).toBeLessThanOrEqual(2);
  });
});
