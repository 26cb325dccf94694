/**
 * Issue 10 §2: a store failure between taking an answer and handing it on never leaves "already
 * answered" (or "expired") for an answer nobody received. The failure here is the hardest one: the
 * atomic take runs in Redis but its reply never comes back (a Redis frozen past the client's 2 s
 * command timeout that then wakes up and runs the queued script; a connection cut after the
 * command left). The person is told "Storage is unavailable … Please try again"; their retry
 * repeats the same take (same attempt token, see PendingStore.takeWith), learns that it did take
 * the answer, and hands it on — the tool runs once. test/core/handoff.test.ts fails each store
 * method by refusing it; these lose its reply after it ran.
 *
 * By hand: REDIS_URL=… PARLEY_SECRET=… npm start, `/call demo__create_ticket_v2
 * {"initial_description":"x"}`, answer the fields up to the last, `kill -STOP <redis-server>`,
 * press Enter, wait for "Storage is unavailable", `kill -CONT`, press Enter: the ticket is created.
 */
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleAdapter } from '../../adapters/console/console.js';
import { Agent } from '../../src/agent.js';
import { silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import { demoServerConfig } from '../helpers/demo.js';
import { faultyProcesses } from '../helpers/faulty-processes.js';
import { testKeyPrefix } from '../helpers/redis.js';
import { freePort, waitForRedis } from '../helpers/redis-process.js';
import { conv } from '../helpers/surface.js';

const processOn = faultyProcesses();

const values = { reporter: 'Lou', priority: 'low' };

describe('the atomic take ran, but its reply was lost', () => {
  it('paused turn (2026-07-28): the retry goes through and the tool runs once', async () => {
    const { agent, store, surface } = await processOn(testKeyPrefix('trial-lost-take'), 'auto');
    await agent.message(conv('lou'), '/call demo__create_ticket_v2 {"initial_description":"Lost"}');
    const form = await surface.waitFor('lou', 'form');
    store.loseReplyNext('takeTogether');
    const first = await agent.answer(form.id, conv('lou'), { action: 'submit', values });
    expect(first).toMatchObject({ ok: false, code: 'unavailable' });
    // Told to try again, the person does, and the same take is repeated: it did run.
    expect(await agent.answer(form.id, conv('lou'), { action: 'submit', values })).toEqual({ ok: true });
    await agent.whenIdle();
    expect(surface.texts('lou').filter((t) => /T-\d+/.test(t))).toHaveLength(1);
  });

  it('live form (2025-11-25) in the same process: the retry goes through', async () => {
    const { agent, store, surface } = await processOn(testKeyPrefix('trial-lost-take-live'), 'legacy');
    const turn = agent.message(conv('liv'), '/call demo__create_ticket_v2 {"initial_description":"Lost"}');
    const form = await surface.waitFor('liv', 'form');
    store.loseReplyNext('takeTogether');
    expect(await agent.answer(form.id, conv('liv'), { action: 'submit', values })).toMatchObject({
      ok: false,
      code: 'unavailable',
    });
    expect(await agent.answer(form.id, conv('liv'), { action: 'submit', values })).toEqual({ ok: true });
    await Promise.race([turn, new Promise((r) => setTimeout(r, 5_000))]);
    expect(surface.texts('liv').filter((t) => /T-\d+/.test(t))).toHaveLength(1);
  });

  it('the console over a real redis-server frozen (SIGSTOP) and thawed under the submit', async () => {
    const port = await freePort();
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], {
      stdio: 'ignore',
    });
    const url = `redis://127.0.0.1:${port}`;
    await waitForRedis(url, server);
    const store = new RedisStore({ url, prefix: 'trial:' });
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const agent = new Agent({
      store,
      servers: [demoServerConfig(processOn.demoUrl())],
      logger: silentLogger(),
    });
    const adapter = new ConsoleAdapter({ agent, input, output, showProgress: false, echoInput: true });
    agent.attach(adapter);
    await agent.start();
    const done = adapter.run();
    try {
      for (const l of ['/call demo__create_ticket_v2 {"initial_description":"Frozen"}', 'Ann', '', ''])
        input.write(`${l}\n`);
      await expect.poll(() => text, { timeout: 10_000 }).toMatch(/Due date \(optional\): $/);
      server.kill('SIGSTOP');
      input.write('\n');
      await expect.poll(() => text, { timeout: 15_000 }).toMatch(/Please try again in a moment\./);
      server.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 500));
      input.write('\n'); // "Press Enter to send it again"
      await expect.poll(() => text, { timeout: 15_000 }).toMatch(/Created ticket T-\d+: Frozen/);
    } finally {
      input.end();
      await Promise.race([done, new Promise((r) => setTimeout(r, 3_000))]);
      await agent.stop();
      server.kill('SIGCONT');
      server.kill('SIGKILL');
      await store.close().catch(() => undefined);
    }
  });
});
