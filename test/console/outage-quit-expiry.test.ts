/**
 * The console (`npm start`) as a newcomer met it: what a person typing into the terminal is told
 * when the store fails under a form, whether `/quit` leaves, and a stored form that expires.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleAdapter } from '../../adapters/console/console.js';
import { Agent } from '../../src/agent.js';
import type { ServerConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/memory.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { FaultyStore } from '../helpers/faulty-store.js';

let demo: DemoMcp;
beforeAll(async () => {
  // The consent page's wait as `npm start` has it: long (CALENDAR_WAIT_MS, ten minutes by default).
  demo = await startDemoMcp({ logger: silentLogger(), calendarWaitMs: 120_000 });
});
afterAll(async () => {
  await demo?.close();
});

/** A console over a real agent on `store`; lines are typed with `type`, stdin stays open. */
async function chat(
  servers: ServerConfig[],
  store = new FaultyStore(new MemoryStore()),
  extra: { pendingTtlMs?: number } = {},
) {
  const input = new PassThrough();
  const output = new PassThrough();
  let transcript = '';
  output.on('data', (c: Buffer) => {
    transcript += c.toString();
  });
  const agent = new Agent({ store, servers, logger: silentLogger(), ...extra });
  const adapter = new ConsoleAdapter({ agent, input, output, showProgress: false, echoInput: true });
  agent.attach(adapter);
  await agent.start();
  let finished = false;
  const done = adapter.run().then(() => {
    finished = true;
  });
  return {
    store,
    text: () => transcript,
    finished: () => finished,
    type: (...lines: string[]) => {
      for (const l of lines) input.write(`${l}\n`);
    },
    async end() {
      input.end();
      await Promise.race([done, new Promise((r) => setTimeout(r, 5_000))]);
      await agent.stop();
    },
  };
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('console: the store fails as a form is sent', () => {
  it('says “storage is unavailable” once, and lets the person send the same answers again', async () => {
    const c = await chat([demoServerConfig(demo.url)]);
    c.type('/call demo__create_ticket_v2 {"initial_description":"Outage"}', 'Ann', '', '');
    await expect.poll(c.text, { timeout: 10_000 }).toMatch(/Due date \(optional\): $/);
    // Redis goes away for the moment the answers are handed on (as when a master dies).
    c.store.failNext('takeTogether');
    c.type('');
    await expect.poll(c.text, { timeout: 10_000 }).toMatch(/Please try again in a moment\./);
    await new Promise((r) => setTimeout(r, 300));
    // Told once: the core's notice and the console's own report of the same refusal doubled it.
    expect(count(c.text().toLowerCase(), 'storage is unavailable')).toBe(1);
    // "Try again": the form is still answerable in the store, so the console must offer it again.
    c.type('');
    await expect.poll(c.text, { timeout: 10_000 }).toMatch(/Created ticket T-\d+: Outage · priority medium/);
    await c.end();
  });

  it('a confirmation refused by a store outage can be answered again', async () => {
    const c = await chat([demoServerConfig(demo.url)]);
    c.type('/call demo__delete_ticket {"id":"T-9"}');
    await expect.poll(c.text, { timeout: 10_000 }).toMatch(/Confirm\? \[y\/N\] $/);
    c.store.failNext('takeTogether');
    c.type('y');
    await expect.poll(c.text, { timeout: 10_000 }).toMatch(/Please try again in a moment\./);
    await new Promise((r) => setTimeout(r, 300));
    expect(count(c.text().toLowerCase(), 'storage is unavailable')).toBe(1);
    c.type('');
    await expect.poll(c.text, { timeout: 10_000 }).toMatch(/You have no ticket with id "T-9"/);
    await c.end();
  });
});

describe('console: /quit', () => {
  it('leaves at once after /cancel stopped waiting for a consent page', async () => {
    const c = await chat([demoServerConfig(demo.url)]);
    c.type('/call demo__connect_calendar {}', 'y');
    await expect.poll(c.text, { timeout: 10_000 }).toMatch(/type \/cancel to stop waiting/);
    c.type('/cancel');
    await expect.poll(c.text, { timeout: 10_000 }).toMatch(/I stopped waiting for that page/);
    c.type('/quit');
    // README: "`/quit` leaves." It waited for the tool instead (CALENDAR_WAIT_MS: ten minutes).
    await expect.poll(c.finished, { timeout: 5_000 }).toBe(true);
    await c.end();
  });

  it('leaves at once when typed while waiting for a consent page', async () => {
    const c = await chat([demoServerConfig(demo.url)]);
    c.type('/call demo__connect_calendar {}', 'y');
    await expect.poll(c.text, { timeout: 10_000 }).toMatch(/type \/cancel to stop waiting/);
    c.type('/quit');
    await expect.poll(c.finished, { timeout: 5_000 }).toBe(true);
    await c.end();
  });
});

/*
 * README (Console adapter): "When a form closes while you fill it (it expired, or its server went
 * away), the console stops asking and says why." A 2025-11-25 form's live request has a timer
 * (src/interactions/live.ts); a 2026-07-28 (MRTR) round waits in the store, so the process that
 * posted it schedules its close (LiveInteractions.expireStored) — else the person filled in every
 * field before hearing "This form has expired".
 */
describe('console: a 2026-07-28 form that expires while being filled', () => {
  it('stops asking and says why, as a 2025-11-25 form does', async () => {
    const c = await chat([demoServerConfig(demo.url)], undefined, { pendingTtlMs: 1_500 });
    c.type('/call demo__create_ticket_v2 {"initial_description":"Slow"}', 'Ann');
    await expect.poll(c.text, { timeout: 10_000, interval: 50 }).toMatch(/so I stopped asking/);
    await expect.poll(c.text).toMatch(/expired before it was answered, so demo · create_ticket_v2 stopped/);
    expect(count(c.text(), 'expired before it was answered')).toBe(1);
    await c.end();
  });

  it('answered in time, nothing is said when its lifetime ends', async () => {
    // Seconds to answer in: a loaded machine still hands the answers on in time.
    const c = await chat([demoServerConfig(demo.url)], undefined, { pendingTtlMs: 4_000 });
    c.type('/call demo__create_ticket_v2 {"initial_description":"Quick"}', 'Ann', '', '', '');
    await expect.poll(c.text, { timeout: 10_000 }).toMatch(/Created ticket T-\d+: Quick/);
    await new Promise((r) => setTimeout(r, 4_500));
    expect(c.text()).not.toMatch(/expired|stopped asking/);
    await c.end();
  });
});
