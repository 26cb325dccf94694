/**
 * A Redis Cluster master failed over while forms are open (issue 13), with real Parley processes
 * on a local cluster of three masters with a replica each. Forms are open in both protocol eras
 * — a 2026-07-28 paused turn in the store, and a 2025-11-25 request held by the process that
 * showed the form, reached by an acknowledged relay over sharded pub/sub — and the shard that
 * fails over carries both a form of each era and the showing process's relay channel. Then every
 * form is answered through the other process: each tool gets its answer once, and every reply a
 * person sees is the truth ("storage unavailable, try again" while the cluster is down, then
 * "submitted" only for an answer the tool received).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import type { AnswerReply } from '../../src/inbound.js';
import { silentLogger } from '../../src/logger.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from '../helpers/demo.js';
import { type ParleyProcess, startParleyProcess } from '../helpers/parley-process.js';
import { testKeyPrefix } from '../helpers/redis.js';
import { type RedisCluster, startRedisCluster, topologySkipReason } from '../helpers/redis-topologies.js';
import { conv } from '../helpers/surface.js';

const skip = topologySkipReason();
const answer = { action: 'submit', values: { reporter: 'Sam', priority: 'low' } } as const;
const TICKET = /Created ticket T-\d+/;
const ERAS = [
  { era: '2026-07-28', server: 'demo' },
  { era: '2025-11-25', server: 'old' },
] as const;

let demo: DemoMcp;
let servers: ServerConfig[];
let cluster: RedisCluster;
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  if (skip) return;
  demo = await startDemoMcp({ logger: silentLogger() });
  servers = [demoServerConfig(demo.url), demoServerConfig(demo.url, { name: 'old', era: 'legacy' })];
  cluster = await startRedisCluster({ replicasPerMaster: 1 });
  cleanups.push(() => cluster.stop());
}, 60_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await demo?.close();
});

interface OpenForm {
  user: string;
  era: string;
  id: string;
  /** Whether its keys live on the shard that fails over. */
  onFailingShard: boolean;
}

describe.skipIf(skip)(
  `a Redis Cluster master failed over mid-form${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    // The coordinated switch first: the hard one leaves its shard without a replica.
    it.each([
      ['by hand (CLUSTER FAILOVER on its replica)', 'manual'],
      ['the hard way (SIGKILL; the cluster elects its replica)', 'kill'],
    ] as const)(
      '%s: nothing lost, nothing run twice, every person told the truth',
      async (_how, how) => {
        const storeEnv = { REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',') };
        const prefix = testKeyPrefix(`cluster-failover-${how}`);
        const [shower, answerer] = (await Promise.all(
          [0, 1].map(() => startParleyProcess({ storeEnv, prefix, servers })),
        )) as [ParleyProcess, ParleyProcess];
        cleanups.push(
          () => shower.kill(),
          () => answerer.kill(),
        );
        const procs = [shower, answerer];
        const tickets = (user: string) => procs.flatMap((p) => p.texts(user).filter((t) => TICKET.test(t)));

        // The shard to fail over: the one carrying the showing process's relay channel.
        const failing = await cluster.shardOf(`${prefix}proc:${shower.processId}`);
        const onFailing = async (key: string) =>
          (await cluster.shardOf(key)).master.port === failing.master.port;
        // Forms in both eras, until each era has one whose keys (one hash tag, `{id}`) are there too.
        const forms: OpenForm[] = [];
        for (const { era, server } of ERAS) {
          for (let n = 0; n < 15 && !forms.some((f) => f.era === era && f.onFailingShard); n++) {
            const user = `${how}-${server}-${n}`;
            shower.message(
              conv(user),
              `/call ${server}__create_ticket_v2 {"initial_description":"failover ${user}"}`,
            );
            const id = (await shower.waitFor(user, 'form')).view.id;
            forms.push({ user, era, id, onFailingShard: await onFailing(`${prefix}pending:{${id}}`) });
          }
        }
        expect(ERAS.map(({ era }) => forms.some((f) => f.era === era && f.onFailingShard))).toEqual([
          true,
          true,
        ]);
        // Replication is asynchronous: a master may take writes it acknowledged down with it. This
        // test is about what Parley does with what Redis kept, so the replica has every form first.
        await cluster.synced(failing.master);

        const switched =
          how === 'kill'
            ? cluster.killMaster(failing.master)
            : cluster.failover(failing.replicas[0] as (typeof failing.replicas)[number]);
        // Answered at once, while the cluster is still switching: until an answer goes through, each
        // reply must be "storage unavailable, try again" (nothing consumed) — never "Submitted" for
        // an answer the tool won't get, nor "expired" for a form that is still there.
        const replies = await Promise.all(
          forms.map(async (form) => {
            const seen: AnswerReply[] = [];
            for (let attempt = 0; attempt < 120; attempt++) {
              const reply = await answerer.answer(form.id, conv(form.user), answer);
              seen.push(reply);
              if (reply.ok || reply.code !== 'unavailable') break;
              await new Promise((r) => setTimeout(r, 250));
            }
            return { form, seen };
          }),
        );
        await switched;
        for (const { form, seen } of replies) {
          expect({ form, last: seen.at(-1) }).toEqual({ form, last: { ok: true } });
          expect(seen.slice(0, -1).filter((r) => r.ok || r.code !== 'unavailable')).toEqual([]);
        }
        // Each tool ran exactly once, and stays so: a late duplicate would show up here.
        await expect
          .poll(() => forms.filter((f) => tickets(f.user).length !== 1), { timeout: 20_000, interval: 100 })
          .toEqual([]);
        for (const form of forms)
          expect(await answerer.answer(form.id, conv(form.user), answer)).toMatchObject({
            ok: false,
            code: 'used',
          });
        await new Promise((r) => setTimeout(r, 1_000));
        expect(forms.filter((f) => tickets(f.user).length !== 1)).toEqual([]);
        // The showing process still hears relays on the new master: a fresh live-era form answered
        // through the other process goes through first time.
        const user = `${how}-after`;
        shower.message(conv(user), '/call old__create_ticket_v2 {"initial_description":"after the switch"}');
        const fresh = await shower.waitFor(user, 'form');
        expect(await answerer.answer(fresh.view.id, conv(user), answer)).toEqual({ ok: true });
        await expect.poll(() => tickets(user).length, { timeout: 15_000 }).toBe(1);
      },
      120_000,
    );
  },
);
