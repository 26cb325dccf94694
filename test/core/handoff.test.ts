/**
 * Taking an answer and handing it on lose nothing when the store fails at any step: the person is
 * told to try again (nothing consumed), and the retry goes through, once.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { faultyProcesses } from '../helpers/faulty-processes.js';
import { redisUrl, testKeyPrefix } from '../helpers/redis.js';
import { conv } from '../helpers/surface.js';

const processOn = faultyProcesses();

const values = { reporter: 'Fay', priority: 'low' };
const unavailable = { ok: false, code: 'unavailable' };

/** Every store call the hand-off may make: a failure at any of them must lose nothing. */
const METHODS = ['get', 'set', 'setIfAbsent', 'take', 'takeTogether', 'delete', 'publish'] as const;

/** The first answer goes through, or is refused as unavailable and the second goes through. */
async function answerThroughFault(send: () => Promise<unknown>): Promise<void> {
  const first = (await send()) as { ok: boolean; code?: string };
  if (first.ok) return;
  expect(first).toMatchObject(unavailable);
  expect(await send()).toEqual({ ok: true });
}

describe('a store failure while an answer is handed on', () => {
  it.each(METHODS)(
    'paused turn (2026-07-28): failing at %s loses nothing; the tool runs once',
    async (method) => {
      const { agent, store, surface } = await processOn(testKeyPrefix(`handoff-${method}`), 'auto');
      await agent.message(conv('fay'), '/call demo__create_ticket_v2 {"initial_description":"Faulty"}');
      const form = await surface.waitFor('fay', 'form');
      store.failNext(method);
      await answerThroughFault(() => agent.answer(form.id, conv('fay'), { action: 'submit', values }));
      await agent.whenIdle();
      expect(surface.texts('fay').filter((t) => /T-\d+/.test(t))).toHaveLength(1);
    },
  );

  it.each(METHODS)(
    'live form (2025-11-25) relayed to its owner: failing at %s loses nothing; the tool runs once',
    async (method) => {
      const prefix = testKeyPrefix(`relay-${method}`);
      const owner = await processOn(prefix, 'legacy');
      const other = await processOn(prefix, 'legacy');
      const turn = owner.agent.message(
        conv('rey'),
        '/call demo__create_ticket_v2 {"initial_description":"Relay fault"}',
      );
      const form = await owner.surface.waitFor('rey', 'form');
      other.store.failNext(method);
      await answerThroughFault(() => other.agent.answer(form.id, conv('rey'), { action: 'submit', values }));
      await turn;
      expect(owner.surface.texts('rey').filter((t) => /T-\d+/.test(t))).toHaveLength(1);
    },
  );
});

describe('an outage across the whole hand-off (a Redis master dying mid-answer)', () => {
  // The take fails and so does every clean-up after it: the person is told to try again, and the
  // retry must go through — never "already answered" for an answer nobody received.
  it.each([
    ['paused turn (2026-07-28)', 'auto'],
    ['live form (2025-11-25)', 'legacy'],
  ] as const)('%s answered through another process: the retry goes through, once', async (_era, era) => {
    const prefix = testKeyPrefix(`outage-${era}`);
    const owner = await processOn(prefix, era);
    const other = await processOn(prefix, era);
    const turn = owner.agent.message(
      conv('ora'),
      '/call demo__create_ticket_v2 {"initial_description":"Outage"}',
    );
    const form = await owner.surface.waitFor('ora', 'form');
    // The take fails, and so does the release of anything taken before it.
    other.store.failNext('takeTogether');
    other.store.failNext('delete');
    const send = () => other.agent.answer(form.id, conv('ora'), { action: 'submit', values });
    expect(await send()).toMatchObject(unavailable);
    expect(await send()).toEqual({ ok: true });
    if (era === 'legacy') await turn;
    else await other.agent.whenIdle();
    const tickets = [owner, other].flatMap((p) => p.surface.texts('ora').filter((t) => /T-\d+/.test(t)));
    expect(tickets).toHaveLength(1);
  });
});

describe('a relay the owner misses', () => {
  // Pub/sub keeps nothing: an owner between two subscriptions (its channel's slot just moved to
  // another Redis Cluster node) misses what is published meanwhile. The sender publishes again
  // until the owner acknowledges, and the owner takes the answer once.
  it('is published again until acknowledged: the answer arrives, and the tool runs once', async () => {
    const prefix = testKeyPrefix('relay-missed');
    const owner = await processOn(prefix, 'legacy');
    const other = await processOn(prefix, 'legacy');
    const turn = owner.agent.message(
      conv('mia'),
      '/call demo__create_ticket_v2 {"initial_description":"Missed"}',
    );
    const form = await owner.surface.waitFor('mia', 'form');
    owner.store.missNext(`proc:${owner.agent.processId}`, 2);
    expect(await other.agent.answer(form.id, conv('mia'), { action: 'submit', values })).toEqual({
      ok: true,
    });
    await turn;
    expect(owner.surface.texts('mia').filter((t) => /T-\d+/.test(t))).toHaveLength(1);
  });

  it('whose acknowledgement took effect but lost its reply is still taken: the tool gets the answer', async () => {
    const prefix = testKeyPrefix('relay-ack-lost');
    const owner = await processOn(prefix, 'legacy');
    const other = await processOn(prefix, 'legacy');
    const turn = owner.agent.message(
      conv('ada'),
      '/call demo__create_ticket_v2 {"initial_description":"Ack lost"}',
    );
    const form = await owner.surface.waitFor('ada', 'form');
    // The owner's "got it" reaches Redis (so the sender says "submitted"), but the owner hears
    // an error: it must read the verdict back, not leave the call waiting for ever.
    owner.store.loseReplyNext('setIfAbsent');
    expect(await other.agent.answer(form.id, conv('ada'), { action: 'submit', values })).toEqual({
      ok: true,
    });
    await turn;
    expect(owner.surface.texts('ada').filter((t) => /T-\d+/.test(t))).toHaveLength(1);
  }, 15_000);

  it('that never comes back in time leaves a "too late" that outlives the form, so an owner waking later cannot take it', async () => {
    // A frozen owner (SIGSTOP, a paused VM) reads the relay when it wakes: if the verdict key
    // had expired by then, its "got it" would win and the tool would run an answer the person
    // was told had expired.
    const prefix = testKeyPrefix('relay-late-ttl');
    const owner = await processOn(prefix, 'legacy');
    const other = await processOn(prefix, 'legacy');
    void owner.agent.message(conv('ivo'), '/call demo__create_ticket_v2 {"initial_description":"Frozen"}');
    const form = await owner.surface.waitFor('ivo', 'form');
    owner.store.missNext(`proc:${owner.agent.processId}`, 1_000);
    const reply = await other.agent.answer(form.id, conv('ivo'), { action: 'submit', values });
    expect(reply).toMatchObject({ ok: false });
    const raw = new Redis(redisUrl());
    try {
      const keys = await raw.keys(`${prefix}relay-ack:*`);
      expect(keys).toHaveLength(1);
      const key = keys[0] as string;
      expect(await raw.get(key)).toBe('late');
      // The form's lifetime (PENDING_TTL_SECONDS, 10 minutes by default) is still ahead.
      expect(await raw.pttl(key)).toBeGreaterThan(9 * 60_000);
    } finally {
      raw.disconnect();
    }
  }, 15_000);
});
