/**
 * `npm run bench -- cpu`: Parley's own CPU (`process.cpuUsage()` of the Parley process: the demo
 * MCP server and the scripted LLM run in child processes, Redis in its own) for a 2026-07-28 form
 * flow against an echo turn, in the same run, both as direct commands and through the LLM. An
 * echo turn is `/call demo__echo` (or "echo …" to the model, which calls it); a form flow is
 * `/call demo__create_ticket_v2` (or "ticket …"), whose MRTR form is answered (submit) until the
 * ticket is created. The kinds alternate in rounds, so a change in the machine's load falls on
 * all alike.
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

/** CPU milliseconds (user + system) this process spent running `n` of `work`. */
async function cpuOf(
  n: number,
  work: (user: string) => Promise<void>,
  failures: string[],
): Promise<{ cpuMs: number; wallMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  failures.push(...(await inBatches(n, PEOPLE, (_i, lane) => work(`u${lane}`))));
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

async function main(): Promise<void> {
  const mcp = await startDemoServer();
  const redis = await openRedis();
  const model = await startLlm();
  const p = await startParley(redis.url, [demoServer(mcp.url, 'auto')], { llm: model.llm });
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
