/**
 * `npm run bench -- scaling`: throughput of tool turns with 1, 2 and 3 Parley processes on one
 * Redis, and on a local three-master Redis Cluster, printed side by side. Each process is the real
 * agent in a child process of its own (test/helpers/parley-child.ts, the store built from the
 * same variables Parley reads); the demo MCP server runs in this process. BENCH_PEOPLE people
 * each run BENCH_TURNS direct tool turns (`/call demo__echo`) one after the other, every turn
 * sent to the next process in turn, so each process serves everyone and shares their state
 * through Redis. One uncounted round warms every process (modules, MCP sessions).
 *
 *   BENCH_PEOPLE   people at once (default 60)
 *   BENCH_TURNS    turns each, counted (default 10)
 *   REDIS_URL      the single Redis to use (default: a throwaway redis-server)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startMcpServer } from '../../mcp-server/server.js';
import type { Conversation } from '../../src/conversation.js';
import { silentLogger } from '../../src/logger.js';
import { startRedisProcess } from '../helpers/redis-process.js';
import { startRedisCluster, topologySkipReason } from '../helpers/redis-topologies.js';

const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 60);
const TURNS = Number(process.env.BENCH_TURNS ?? 10);
const root = join(import.meta.dirname, '..', '..');

interface Child {
  child: ChildProcess;
  send(conversation: Conversation, text: string): void;
}

/** Resolvers of the next answer each person waits for. */
const waiting = new Map<string, () => void>();

async function startChild(
  storeEnv: Record<string, string>,
  prefix: string,
  servers: unknown[],
): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/parley-child.ts')], {
    cwd: root,
    env: {
      ...process.env,
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: '',
      REDIS_SENTINELS: '',
      ...storeEnv,
      PARLEY_TEST_PREFIX: prefix,
      PARLEY_TEST_SERVERS: JSON.stringify(servers),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`a Parley process exited (${code})`)));
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on('line', (line) => {
      const parsed = JSON.parse(line) as {
        ready?: string;
        conversation?: Conversation;
        message?: { kind: string };
      };
      if (parsed.ready) resolve();
      else if (parsed.conversation && parsed.message?.kind === 'text') {
        const user = parsed.conversation.user;
        waiting.get(user)?.();
        waiting.delete(user);
      }
    });
  });
  return {
    child,
    send: (conversation, text) => child.stdin?.write(`${JSON.stringify({ conversation, text })}\n`),
  };
}

async function stopChild(c: Child): Promise<void> {
  if (c.child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    c.child.once('exit', () => resolve());
    c.child.kill('SIGKILL');
  });
}

/** One person's turn through `c`: resolves on its answer (a text post), or fails after 30 s. */
function turn(c: Child, user: string, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer for ${user}`)), 30_000);
    waiting.set(user, () => {
      clearTimeout(timer);
      resolve();
    });
    c.send(
      { platform: 'test', workspace: 'W1', channel: 'C1', user },
      `/call demo__echo {"message":"turn ${n}"}`,
    );
  });
}

/** Turns per second with `count` processes on the store `storeEnv` names. */
async function measure(count: number, storeEnv: Record<string, string>, mcpUrl: string): Promise<number> {
  const servers = [{ name: 'demo', url: mcpUrl }];
  const prefix = `parley-bench-scale:${Date.now()}:${count}:`;
  const children = await Promise.all(
    Array.from({ length: count }, () => startChild(storeEnv, prefix, servers)),
  );
  try {
    const people = Array.from({ length: PEOPLE }, (_, i) => `u${i}`);
    const round = async (turns: number) =>
      Promise.all(
        people.map(async (user, i) => {
          for (let t = 0; t < turns; t++) await turn(children[(i + t) % count] as Child, user, t);
        }),
      );
    await round(count); // warm-up: every person once through every process
    const started = performance.now();
    await round(TURNS);
    return (PEOPLE * TURNS) / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(children.map(stopChild));
  }
}

async function main(): Promise<void> {
  const mcp = await startMcpServer({ port: 0, logger: silentLogger() });
  const single = process.env.REDIS_URL ? undefined : await startRedisProcess();
  const redisUrl = process.env.REDIS_URL ?? (single?.url as string);
  const skipCluster = topologySkipReason();
  const cluster = skipCluster ? undefined : await startRedisCluster();
  const rows: Array<[string, number[]]> = [];
  try {
    const one: number[] = [];
    for (const n of [1, 2, 3]) one.push(await measure(n, { REDIS_URL: redisUrl }, mcp.url));
    rows.push(['one Redis', one]);
    if (cluster) {
      const nodes = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
      const onCluster: number[] = [];
      for (const n of [1, 2, 3]) onCluster.push(await measure(n, { REDIS_CLUSTER_NODES: nodes }, mcp.url));
      rows.push(['Redis Cluster (3 masters)', onCluster]);
    }
  } finally {
    await cluster?.stop();
    await single?.stop();
    await mcp.close();
  }
  const cell = (v: number) => `${v.toFixed(0).padStart(6)} turns/s`;
  console.log(
    `\nTool turns (/call demo__echo), ${PEOPLE} people × ${TURNS} turns, each turn to the next process; ` +
      `${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)}\n`,
  );
  console.log(
    `${''.padEnd(28)}${['1 process', '2 processes', '3 processes'].map((h) => h.padStart(15)).join('')}`,
  );
  for (const [label, values] of rows)
    console.log(`${label.padEnd(28)}${values.map((v) => cell(v).padStart(15)).join('')}`);
  if (skipCluster) console.log(`(Redis Cluster skipped: ${skipCluster})`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
