/**
 * A paused turn and the record of what it shows are stored together, in one round trip (issue 12
 * §3), and only then is the form shown: an answer given the instant the form appears finds both,
 * and when the store fails at that moment, nobody is shown a form that nothing waits for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent.js';
import type { AnswerReply } from '../../src/inbound.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import type { OutboundMessage } from '../../src/surface.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { FaultyStore } from '../helpers/faulty-store.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { conv, RecordingSurface } from '../helpers/surface.js';

let demo: DemoMcp;
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  demo = await startDemoMcp({ logger: silentLogger() });
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await demo?.close();
});

/** A started agent on a store whose writes a test can fail, showing on `surfaceFor(agent)`. */
async function rig(
  label: string,
  surfaceFor: (agent: Agent) => RecordingSurface = () => new RecordingSurface(),
) {
  const redis = new RedisStore({ url: redisUrl(), prefix: testKeyPrefix(label) });
  const store = new FaultyStore(redis);
  const agent = new Agent({ store, servers: [demoServerConfig(demo.url)], logger: silentLogger() });
  cleanups.push(async () => {
    await agent.stop();
    await redis.close();
  });
  const surface = surfaceFor(agent);
  agent.attach(surface);
  await agent.start();
  return { agent, store, surface };
}

const call = '/call demo__create_ticket_v2 {"initial_description":"Instant"}';

describe('a paused turn and its form’s record', () => {
  it('are both stored before the form shows: an answer given at once goes through', async () => {
    const replies: AnswerReply[] = [];
    // The person answers inside the very post that shows the form.
    const surfaceFor = (agent: Agent) =>
      new (class extends RecordingSurface {
        override async post(c: Parameters<RecordingSurface['post']>[0], m: OutboundMessage) {
          await super.post(c, m);
          if (m.kind === 'form')
            replies.push(
              await agent.answer(m.view.id, c, {
                action: 'submit',
                values: { reporter: 'Ida', priority: 'low' },
              }),
            );
        }
      })();
    const { agent, surface } = await rig('pause-instant', surfaceFor);
    await agent.message(conv('ida'), call);
    await surface.waitForText('ida', /Created ticket T-\d+/);
    expect(replies).toEqual([{ ok: true }]);
  });

  it('when the store fails as they are stored, no form is shown and the person is told', async () => {
    const { agent, store, surface } = await rig('pause-fail');
    await agent.message(conv('fio'), '/call demo__echo {"message":"warm"}');
    // The turn's "doing" mark, then the record and the turn, stored together: all fail.
    store.failNext('set', 3);
    await agent.message(conv('fio'), call);
    expect(surface.for('fio').filter((m) => m.kind === 'form')).toEqual([]);
    expect(surface.texts('fio').at(-1)).toMatch(/unavailable/i);
  });

  it('when only the person’s index of open forms fails, the form still shows and is answered', async () => {
    const { agent, store, surface } = await rig('pause-index-fail');
    await agent.message(conv('gus'), '/call demo__echo {"message":"warm"}');
    // The record and its index line go out together; the index is only for the person's home.
    store.failNext('append', 5);
    await agent.message(conv('gus'), call);
    const form = surface.for('gus').find((m) => m.kind === 'form');
    expect(form?.kind).toBe('form');
    if (form?.kind !== 'form') return;
    const reply = await agent.answer(form.view.id, conv('gus'), {
      action: 'submit',
      values: { reporter: 'Gus', priority: 'low' },
    });
    expect(reply).toEqual({ ok: true });
    await surface.waitForText('gus', /Created ticket T-\d+/);
  });
});
