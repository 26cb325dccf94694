/**
 * `npm run bench -- cpu`: Parley's own CPU (`process.cpuUsage()` of the Parley process: the demo
 * MCP server and the scripted LLM run in child processes, Redis in its own) for a 2026-07-28 form
 * flow against an echo turn, in the same run, both as direct commands and through the LLM. An
 * echo turn is `/call demo__echo` (or "echo …" to the model, which calls it); a form flow is
 * `/call demo__create_ticket_v2` (or "ticket …"), whose MRTR form is answered (submit) until the
 * ticket is created. The kinds alternate in rounds, so a change in the machine's load falls on
 * all alike.
 *
 * The direct form flow is then taken apart, in the same run and at the same concurrency: its leg 1
 * (`/call` → the form shown) and its leg 2 (the answer → the result) measured as phases of their
 * own, and one SDK `callTool('echo')` over Parley's transport (a connected `Client`, no turn
 * around it). Leg 1 is an echo turn that ends in a form; leg 2 holds a second tool call, so
 * (echo + call) / echo is the least a form flow could cost against an echo turn — printed as the
 * floor beside the goal.
 *
 * Goal (issue 12 §3): a form flow ≤ 1.5× the CPU of an echo turn. Exit 1 when missed or when a
 * turn fails. With BENCH_CPU_PROF=dir, writes a CPU profile of each round there (open in Chrome
 * DevTools or speedscope).
 *
 *   BENCH_TURNS    turns of each kind per round (default 75)
 *   BENCH_ROUNDS   rounds (default 8)
 *   BENCH_PEOPLE   people at once (default 20)
 */

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { mcpFetch } from '../../src/mcp/http-fetch.js';
import { McpHttpTransport } from '../../src/mcp/sse.js';
import {
  type BenchParley,
  demoServer,
  inBatches,
  machine,
  openRedis,
  person,
  startDemoServer,
  startLlm,
  startParley,
} from './rig.js';

const TURNS = Number(process.env.BENCH_TURNS ?? 75);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 20);
const GOAL = 1.5;

let serial = 0;

/** One turn kind: how to run it for a person, and what its last answer must say. */
interface Kind {
  label: string;
  text: (n: number) => string;
  form: boolean;
  done: (said: string, n: number) => boolean;
}

const KINDS = {
  echo: {
    label: 'echo turn (/call demo__echo)',
    text: (n: number) => `/call demo__echo {"message":"cpu ${n}"}`,
    form: false,
    done: (said: string, n: number) => said === `cpu ${n}`,
  },
  form: {
    label: 'MRTR form flow (/call, answer)',
    text: (n: number) => `/call demo__create_ticket_v2 {"initial_description":"cpu ${n}"}`,
    form: true,
    done: (said: string) => /Created ticket T-\d+/.test(said),
  },
  llmEcho: {
    label: 'LLM echo turn',
    text: (n: number) => `echo cpu ${n}`,
    form: false,
    done: (said: string, n: number) => said.includes(`cpu ${n}`),
  },
  llmForm: {
    label: 'LLM MRTR form flow',
    text: (n: number) => `ticket cpu ${n}`,
    form: true,
    done: (said: string) => /Created ticket T-\d+/.test(said),
  },
} satisfies Record<string, Kind>;

/**
 * One turn of `kind` for `user`, in a conversation of its own: the person's next turn never waits
 * for this one's lease, and every LLM turn starts with the same (empty) history.
 */
async function turn(p: BenchParley, kind: Kind, user: string): Promise<void> {
  const n = ++serial;
  const where = person(user, `C${n}`);
  const form = kind.form ? p.surface.next(user, 'form') : undefined;
  let text = kind.form ? undefined : p.surface.next(user, 'text');
  await p.agent.message(where, kind.text(n));
  if (form) {
    const id = await form;
    text = p.surface.next(user, 'text');
    const reply = await p.agent.answer(id, where, {
      action: 'submit',
      values: { reporter: 'Bench', priority: 'low' },
    });
    if (!reply.ok) throw new Error(`${user}: ${reply.message}`);
  }
  const said = await (text as Promise<string>);
  if (!kind.done(said, n)) throw new Error(`${user}: ${said}`);
}

/**
 * Resolves when the Parley under test has no turn running: a measurement ends there, so a turn's
 * tail (its lease released, its form's message closed) is billed to its own kind, not the next.
 */
let settled: () => Promise<void> = async () => undefined;

/** CPU milliseconds (user + system) this process spent running `n` of `work`, tails included. */
async function cpuOf(
  n: number,
  work: (user: string) => Promise<void>,
  failures: string[],
): Promise<{ cpuMs: number; wallMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  failures.push(...(await inBatches(n, PEOPLE, (_i, lane) => work(`u${lane}`))));
  await settled();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

/** Leg 1 of `n` direct form flows (`/call` → form shown), `PEOPLE` at once; resolves the ids. */
async function openForms(
  p: BenchParley,
  n: number,
  failures: string[],
): Promise<{ cpuMs: number; open: Array<{ id: string; user: string; serial: number }> }> {
  const open: Array<{ id: string; user: string; serial: number }> = [];
  const { cpuMs } = await cpuOf(
    n,
    async (user) => {
      const k = ++serial;
      const shown = p.surface.next(user, 'form');
      await p.agent.message(person(user, `C${k}`), KINDS.form.text(k));
      open.push({ id: await shown, user, serial: k });
    },
    failures,
  );
  return { cpuMs, open };
}

/**
 * Leg 2 of the flows `openForms` opened (the answer → the result): each person answers their own
 * forms one after another, all people at once (`PEOPLE`, as leg 1 ran).
 */
async function answerForms(
  p: BenchParley,
  open: Array<{ id: string; user: string; serial: number }>,
  failures: string[],
): Promise<number> {
  const byUser = new Map<string, typeof open>();
  for (const flow of open) {
    const flows = byUser.get(flow.user) ?? [];
    flows.push(flow);
    byUser.set(flow.user, flows);
  }
  const cpu = process.cpuUsage();
  await Promise.all(
    [...byUser.values()].map(async (flows) => {
      for (const flow of flows) {
        try {
          const said = p.surface.next(flow.user, 'text');
          const reply = await p.agent.answer(flow.id, person(flow.user, `C${flow.serial}`), {
            action: 'submit',
            values: { reporter: 'Bench', priority: 'low' },
          });
          if (!reply.ok) throw new Error(`${flow.user}: ${reply.message}`);
          const text = await said;
          if (!KINDS.form.done(text)) throw new Error(`${flow.user}: ${text}`);
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }
    }),
  );
  await settled();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000;
}

/**
 * `n` SDK `callTool('echo')` on one connected `Client` over Parley's transport, `PEOPLE` at once:
 * a tool call as Parley makes it, without the turn around it.
 */
async function rawCalls(client: Client, n: number, failures: string[]): Promise<number> {
  const { cpuMs } = await cpuOf(
    n,
    async () => {
      const k = ++serial;
      const result = await client.callTool({ name: 'echo', arguments: { message: `raw ${k}` } });
      if (result.isError) throw new Error(`raw call ${k} failed`);
    },
    failures,
  );
  return cpuMs;
}

async function main(): Promise<void> {
  const mcp = await startDemoServer();
  const redis = await openRedis();
  const model = await startLlm();
  const p = await startParley(redis.url, [demoServer(mcp.url, 'auto')], { llm: model.llm });
  settled = () => p.agent.whenIdle();
  const failures: string[] = [];
  const profileDir = process.env.BENCH_CPU_PROF;
  const session = profileDir ? new Session() : undefined;
  try {
    const names = Object.keys(KINDS) as Array<keyof typeof KINDS>;
    // Warm: code paths compiled, the connection open, the tool list cached.
    for (const name of names) await cpuOf(PEOPLE * 2, (u) => turn(p, KINDS[name], u), failures);
    const totals = Object.fromEntries(names.map((n) => [n, { cpuMs: 0, wallMs: 0 }])) as Record<
      keyof typeof KINDS,
      { cpuMs: number; wallMs: number }
    >;
    const rounds: Array<Record<keyof typeof KINDS, number>> = [];
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
    }
    const profiled = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      if (!session) return work();
      await session.post('Profiler.start');
      const result = await work();
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(profileDir as string, `${name}.cpuprofile`), JSON.stringify(profile));
      return result;
    };
    for (let r = 0; r < ROUNDS; r++) {
      const round = {} as Record<keyof typeof KINDS, number>;
      for (const name of names) {
        const t = await profiled(`${name}-${r}`, () =>
          cpuOf(TURNS, (u) => turn(p, KINDS[name], u), failures),
        );
        totals[name].cpuMs += t.cpuMs;
        totals[name].wallMs += t.wallMs;
        round[name] = t.cpuMs;
      }
      rounds.push(round);
    }
    // The direct form flow taken apart (see the file header), rounds alternating with echo turns.
    const raw = new Client({ name: 'raw-bench', version: '0' }, { versionNegotiation: { mode: 'auto' } });
    // Over Parley's own transport (node:http fetch, one SSE reader): the call as Parley makes it.
    await raw.connect(new McpHttpTransport(new URL(mcp.url), { fetch: mcpFetch(mcp.url) }));
    await rawCalls(raw, PEOPLE * 2, failures);
    const legs = { echo: 0, leg1: 0, leg2: 0, raw: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      legs.echo += (await cpuOf(TURNS, (u) => turn(p, KINDS.echo, u), failures)).cpuMs;
      const opened = await openForms(p, TURNS, failures);
      legs.leg1 += opened.cpuMs;
      legs.leg2 += await answerForms(p, opened.open, failures);
      legs.raw += await rawCalls(raw, TURNS, failures);
    }
    await raw.close();
    const n = TURNS * ROUNDS;
    console.log(
      `Parley's CPU per turn (process.cpuUsage of the Parley process; MCP server, LLM and Redis in their own), ${ROUNDS} rounds × ${TURNS} each, ${PEOPLE} people at once; ${machine()}`,
    );
    console.log(`${''.padEnd(34)}${'CPU ms/turn'.padStart(12)}${'wall ms/turn'.padStart(14)}`);
    for (const name of names)
      console.log(
        `${KINDS[name].label.padEnd(34)}${(totals[name].cpuMs / n).toFixed(2).padStart(12)}${(totals[name].wallMs / n).toFixed(2).padStart(14)}`,
      );
    const ratio = (form: keyof typeof KINDS, echo: keyof typeof KINDS) => ({
      all: totals[form].cpuMs / totals[echo].cpuMs,
      each: rounds.map((r) => (r[form] / r[echo]).toFixed(2)).join(', '),
    });
    const direct = ratio('form', 'echo');
    const llm = ratio('llmForm', 'llmEcho');
    const verdict = (x: number) => (x <= GOAL ? 'met' : 'NOT met');
    console.log(
      `form flow / echo turn, direct /call: ${direct.all.toFixed(2)}× (rounds ${direct.each}); goal ≤ ${GOAL}×: ${verdict(direct.all)}`,
    );
    console.log(
      `form flow / echo turn, through the LLM: ${llm.all.toFixed(2)}× (rounds ${llm.each}); goal ≤ ${GOAL}×: ${verdict(llm.all)}`,
    );
    const per = (ms: number) => (ms / n).toFixed(2);
    const of = (ms: number) => (ms / legs.echo).toFixed(2);
    console.log(
      `direct form flow by leg, ms/turn (× echo ${per(legs.echo)}): leg 1 /call → form ${per(legs.leg1)} (${of(legs.leg1)}×), leg 2 answer → result ${per(legs.leg2)} (${of(legs.leg2)}×); one SDK callTool (Parley's transport, no turn) ${per(legs.raw)} (${of(legs.raw)}×)`,
    );
    console.log(
      `floor of form flow / echo turn, direct (an echo turn + one more call): ${((legs.echo + legs.raw) / legs.echo).toFixed(2)}×; by legs now: ${((legs.leg1 + legs.leg2) / legs.echo).toFixed(2)}×`,
    );
    if (failures.length > 0) console.log(`${failures.length} turns failed, first: ${failures[0]}`);
    process.exitCode = direct.all <= GOAL && llm.all <= GOAL && failures.length === 0 ? 0 : 1;
  } finally {
    session?.disconnect();
    await p.close();
    mcp.stop();
    model.stop();
    await redis.stop();
  }
}

main()
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
