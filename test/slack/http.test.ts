/**
 * HTTP mode: Slack's requests arrive at `/slack/events` on Parley's own HTTP server (health and
 * OAuth routes share the port), signed with the signing secret. Unsigned, badly signed or stale
 * requests are refused; Slack's retries (X-Slack-Retry-Num) are answered once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SLACK_EVENTS_PATH } from '../../adapters/slack/index.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { signSlackRequest } from '../helpers/fake-slack.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { SIGNING_SECRET, SlackRig } from '../helpers/slack-rig.js';

let mcp: DemoMcp;
let store: RedisStore;
let rig: SlackRig;

beforeAll(async () => {
  mcp = await startDemoMcp({ logger: silentLogger() });
  store = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix('slack-http') });
  rig = await SlackRig.start({ mode: 'http', servers: [demoServerConfig(mcp.url)], store });
});
afterAll(async () => {
  await rig?.close();
  await store?.close();
  await mcp?.close();
});
afterEach(() => {
  expect(rig.slack.violations).toEqual([]);
});

const events = () => `${rig.httpUrl}${SLACK_EVENTS_PATH}`;
const challenge = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 'unused' });

describe('Slack over HTTP', () => {
  it('answers Slack’s URL verification when signed, on the same port as /healthz', async () => {
    const res = await fetch(events(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSlackRequest(SIGNING_SECRET, challenge) },
      body: challenge,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: 'c-123' });
    expect((await fetch(`${rig.httpUrl}/healthz`)).status).toBe(200);
  });

  it('refuses requests with a bad or stale signature', async () => {
    const bad = await fetch(events(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSlackRequest('not-the-secret', challenge) },
      body: challenge,
    });
    expect(bad.status).toBe(401);
    const stale = await fetch(events(), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signSlackRequest(SIGNING_SECRET, challenge, Math.floor(Date.now() / 1000) - 600),
      },
      body: challenge,
    });
    expect(stale.status).toBe(401);
    const unsigned = await fetch(events(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: challenge,
    });
    expect(unsigned.status).toBe(401);
  });

  it('answers a mention once although Slack retries it with X-Slack-Retry-Num', async () => {
    const u = 'UHTTPRETRY';
    const sent = await rig.mention(u, '/call demo__echo {"message":"http once"}');
    expect(sent.ack.status).toBe(200);
    const retries = await Promise.all(
      [1, 2].map((n) => rig.slack.sendEvent(sent.event, { eventId: sent.eventId, retryNum: n })),
    );
    expect(retries.map((r) => r.status)).toEqual([200, 200]);
    await rig.waitForText(u, /http once/);
    await rig.adapter.idle();
    expect(rig.seenBy(u).filter((m) => /http once/.test(m.text))).toHaveLength(1);
  });

  it('runs a slash command once although the same signed request arrives three times', async () => {
    const u = 'UHTTPCMD3';
    await rig.slack.command(u, 'CHTTP', 'call demo__echo {"message":"command once"}', '/parley', 3);
    await rig.waitForText(u, /command once/);
    await rig.adapter.idle();
    await rig.agent.whenIdle();
    expect(rig.seenBy(u).filter((m) => /command once/.test(m.text))).toHaveLength(1);
  });

  it('a form and its modal work through signed interactivity requests', async () => {
    const u = 'UHTTPFORM';
    await rig.mention(u, '/call demo__create_ticket_v2 {"initial_description":"Over HTTP"}');
    const message = await rig.waitForMessageWith(u, 'parley_form_open');
    const view = await rig.openForm(u, message);
    const bad = await rig.submit(u, view, { reporter: '', priority: 'low' });
    expect(bad).toEqual({ ok: false, errors: { reporter: 'This field is required.' } });
    expect(await rig.submit(u, view, { reporter: 'Hal', priority: 'low' })).toEqual({ ok: true });
    await rig.waitForText(u, /T-\d+/);
  });

  it('a double submit of one modal is answered once, and the second is told why', async () => {
    const u = 'UHTTPDOUBLE';
    await rig.mention(u, '/call demo__create_ticket_v2 {"initial_description":"Double click"}');
    const view = await rig.openForm(u, await rig.waitForMessageWith(u, 'parley_form_open'));
    const both = await Promise.all([
      rig.submit(u, view, { reporter: 'Dee', priority: 'low' }),
      rig.submit(u, view, { reporter: 'Dee', priority: 'low' }),
    ]);
    expect(both).toEqual(
      expect.arrayContaining([{ ok: true }, { ok: false, message: 'This was already answered.' }]),
    );
    await rig.waitForText(u, /T-\d+/);
    await rig.adapter.idle();
    await rig.agent.whenIdle();
    expect(rig.textsSeenBy(u).filter((t) => /Created ticket T-\d+/.test(t))).toHaveLength(1);
  });

  it('after a restart, a form offered earlier still opens and submits from the store, once', async () => {
    const u = 'UHTTPRESTART';
    await rig.mention(u, '/call demo__create_ticket_v2 {"initial_description":"Before the restart"}');
    const message = await rig.waitForMessageWith(u, 'parley_form_open');
    rig.agent.forgetShownInteractions();
    const view = await rig.openForm(u, message);
    expect(await rig.submit('UMALLORY', view, { reporter: 'M', priority: 'low' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/isn’t yours/),
    });
    expect(await rig.submit(u, view, { reporter: '', priority: 'low' })).toMatchObject({
      ok: false,
      errors: { reporter: expect.any(String) },
    });
    const both = await Promise.all([
      rig.submit(u, view, { reporter: 'Rhea', priority: 'low' }),
      rig.submit(u, view, { reporter: 'Rhea', priority: 'low' }),
    ]);
    expect(both).toEqual(
      expect.arrayContaining([{ ok: true }, { ok: false, message: 'This was already answered.' }]),
    );
    await rig.waitForText(u, /T-\d+.*Before the restart|Before the restart.*T-\d+/);
  });
});
