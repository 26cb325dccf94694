/**
 * `npm run bench -- knee`: Parley's throughput with 1, 10, 100 and 1,000 people at once, default
 * settings (MCP_MAX_CONNECTIONS 200, 10 s wait for a slot), in each era, and where it stops
 * growing. Each person runs tool turns (`/call demo__echo`) one after another, each in a
 * conversation of its own, through the real agent on Redis, against the demo MCP server in a
 * child process; about BENCH_TURNS turns per size. Prints turns/s, latency p50/p99 (message to
 * answer) and failed turns, then the knee: the first size whose throughput grows less than 20 %
 * over the previous one (the machine is saturated; more people only wait longer). The pool
 * alone, without the agent, is `npm run bench -- pool`.
 *
 * Exit 1 when a turn fails.
 *
 *   BENCH_PEOPLE   comma-separated sizes (default 1,10,100,1000)
 *   BENCH_TURNS    turns per size, about (default 600)
 */
import { demoServer, inBatches, machine, openRedis, person, startDemoServer, startParley } from './rig.js';

const SIZES = (process.env.BENCH_PEOPLE ?? '1,10,100,1000').split(',').map(Number);
const TURNS = Number(process.env.BENCH_TURNS ?? 600);
/** Less growth than this from one size to the next is the knee. */
const GROWTH = 1.2;

interface Row {
  people: number;
  turns: number;
  failed: string[];
  perSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

let serial = 0;

async function measure(
  era: 'legacy' | 'auto',
  people: number,
  mcpUrl: string,
  redisUrl: string,
): Promise<Row> {
  const p = await startParley(redisUrl, [demoServer(mcpUrl, era)]);
  const each = Math.max(1, Math.ceil(TURNS / people));
  const latencies: number[] = [];
  const turn = async (user: string) => {
    const n = ++serial;
    const answered = p.surface.next(user, 'text');
    const started = performance.now();
    void p.agent.message(person(user, `C${n}`), `/call demo__echo {"message":"knee ${n}"}`);
    const said = await answered;
    latencies.push(performance.now() - started);
    if (said !== `knee ${n}`) throw new Error(`${user}: ${said}`);
  };
  try {
    await turn('warm');
    const started = performance.now();
    const failed = await inBatches(people * each, people, (_i, lane) => turn(`p${lane}`));
    const wall = performance.now() - started;
    const sorted = latencies.slice(1).sort((a, b) => a - b);
    return {
      people,
      turns: people * each,
      failed,
      perSecond: ((people * each) / wall) * 1000,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  } finally {
    await p.agent.whenIdle();
    await p.close();
  }
}

function knee(rows: Row[]): string {
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1] as Row, rows[i] as Row];
    if (b.perSecond < a.perSecond * GROWTH)
      return `between ${a.people} and ${b.people} people: throughput ${a.perSecond.toFixed(0)} → ${b.perSecond.toFixed(0)} turns/s, p50 ${a.p50.toFixed(0)} → ${b.p50.toFixed(0)} ms`;
  }
  return `not reached by ${rows.at(-1)?.people} people (throughput still growing)`;
}

async function main(): Promise<void> {
  const mcp = await startDemoServer();
  const redis = await openRedis();
  const results: Array<[string, Row[]]> = [];
  try {
    for (const era of ['legacy', 'auto'] as const) {
      const rows: Row[] = [];
      for (const people of SIZES) rows.push(await measure(era, people, mcp.url, redis.url));
      results.push([era === 'legacy' ? '2025-11-25' : '2026-07-28', rows]);
    }
  } finally {
    mcp.stop();
    await redis.stop();
  }
  console.log(`Tool turns (/call demo__echo) with N people at once, default settings; ${machine()}`);
  console.log(
    `${'era'.padEnd(12)}${['people', 'turns', 'failed', 'turns/s', 'p50 ms', 'p99 ms'].map((h) => h.padStart(9)).join('')}`,
  );
  let failed = 0;
  for (const [era, rows] of results)
    for (const r of rows) {
      failed += r.failed.length;
      console.log(
        `${era.padEnd(12)}${[r.people, r.turns, r.failed.length].map((v) => String(v).padStart(9)).join('')}${[r.perSecond, r.p50, r.p99].map((v) => v.toFixed(0).padStart(9)).join('')}`,
      );
      if (r.failed.length > 0) console.log(`  first failure: ${r.failed[0]}`);
    }
  for (const [era, rows] of results) console.log(`knee, ${era}: ${knee(rows)}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main()
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
