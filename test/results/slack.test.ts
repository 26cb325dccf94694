/**
 * Tool results on Slack: files go up the way Slack documents (getUploadURLExternal, the bytes,
 * completeUploadExternal) into the person's thread; a 1 MB result is one bounded message; a
 * private reply never turns a file public.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSchema } from '../../src/config.js';
import { RedisStore } from '../../src/store/index.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { registerResultTools, TINY_PNG } from '../helpers/result-tools.js';
import { SlackRig } from '../helpers/slack-rig.js';

let mini: { url: string; close(): Promise<void> };
let store: RedisStore;
let rig: SlackRig;

beforeAll(async () => {
  mini = await startMiniMcp('res', registerResultTools);
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('slack-results') });
  rig = await SlackRig.start({
    mode: 'socket',
    store,
    servers: [serverSchema.parse({ name: 'res', url: mini.url })],
  });
});
afterAll(async () => {
  await rig?.close();
  await store?.close();
  await mini?.close();
});

describe('tool results on Slack', () => {
  it('an image is uploaded into the thread, bytes intact', async () => {
    const { ts } = await rig.mention('UIMG', '/call res__image {}');
    await rig.waitForText('UIMG', /here is the picture/);
    await expect
      .poll(() => rig.slack.messages.filter((m) => m.threadTs === ts && m.files?.length).length, {
        timeout: 10_000,
      })
      .toBe(1);
    const shared = rig.slack.messages.find((m) => m.threadTs === ts && m.files?.length);
    const file = shared?.files?.[0];
    expect(file).toMatchObject({ filename: 'image-1.png', completed: true, altText: 'image-1.png' });
    expect(file?.bytes?.toString('base64')).toBe(TINY_PNG);
    expect(rig.slack.violations).toEqual([]);
  });

  it('a blob resource is uploaded with its uri as the title', async () => {
    const { ts } = await rig.mention('UBLOB', '/call res__blob {}');
    await expect
      .poll(() => rig.slack.messages.find((m) => m.threadTs === ts && m.files?.length), { timeout: 10_000 })
      .toBeTruthy();
    const file = rig.slack.messages.find((m) => m.threadTs === ts && m.files?.length)?.files?.[0];
    expect(file).toMatchObject({ filename: 'q3_report.pdf', title: 'file:///reports/q3%20report.pdf' });
    expect(rig.slack.violations).toEqual([]);
  });

  it('a 1 MB result is one message, with a note saying what was cut', async () => {
    const before = rig.slack.calls.filter((c) => c.method.startsWith('chat.')).length;
    await rig.mention('UHUGE', '/call res__huge {}');
    const text = await rig.waitForText('UHUGE', /Cut for the person/);
    expect(text).toContain('showing 3,500 of 1,048,576 characters');
    await rig.agent.whenIdle();
    const posts = rig.slack.calls.slice(0).filter((c) => c.method.startsWith('chat.')).length - before;
    expect(posts).toBeLessThanOrEqual(3);
    expect(rig.slack.violations).toEqual([]);
  });

  it('a private reply (slash command in a channel) never shares a file with the channel', async () => {
    const uploads = () => rig.slack.calls.filter((c) => c.method.startsWith('files.')).length;
    const before = uploads();
    await rig.slack.command('UPRIV', 'CGENERAL', 'call res__image {}');
    await rig.waitForText('UPRIV', /only share in a thread or in our DM/);
    await rig.agent.whenIdle();
    expect(uploads()).toBe(before);
    expect(rig.slack.violations).toEqual([]);
  });

  it('an embedded text resource is shown with its uri', async () => {
    await rig.mention('UFILE', '/call res__file_contents {}');
    await rig.waitForText('UFILE', /repo:\/\/octo\/app\/main\.py/);
  });
});
