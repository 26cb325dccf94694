/**
 * `npm run bench -- memory`: what open forms cost in one Parley process, in each era, against the
 * real demo MCP server (its own process) and Redis. Each measurement runs in a fresh process
 * (with --expose-gc): it warms up with WARM whole flows (code compiled, connections and caches
 * as a running Parley has them), collects garbage and reads
 * `process.memoryUsage()` (the baseline), opens the forms — each person runs
 * `/call demo__create_ticket_v2`, which asks for a form — collects garbage and reads again once
 * every form is shown, then answers every form and checks every ticket was created.
 *
 * - 2025-11-25 era: the form is a server request inside a live call, so the call (and what it
 *   rides on) waits in this process. Measured for Parley and, for reference, for the raw SDK
 *   (one `Client` per person, `callTool`, an elicitation handler that waits).
 * - 2026-07-28 era (MRTR): the form is a result; the paused turn waits in the store.
 *
 * Goals (issue 12 §2): 1,000 open 2025-11-25 forms ≤ 100 MB RSS over baseline; 10,000 MRTR forms
 * waiting ≈ 0 in process (here: ≤ 1 KiB of heap each). Exit 1 when one is missed or a flow fails.
 *
 *   BENCH_LEGACY_FORMS   2025-11-25 forms (default 1000)
 *   BENCH_MRTR_FORMS     MRTR forms (default 10000)
 *   BENCH_HEAP_DIR       write heap snapshots before and after opening the forms there
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  demoServer,
  inBatches,
  machine,
  mb,
  openRedis,
  person,
  settle,
  startDemoServer,
  startParley,
} from './rig.js';

const LEGACY_FORMS = Number(process.env.BENCH_LEGACY_FORMS ?? 1000);
const MRTR_FORMS = Number(process.env.BENCH_MRTR_FORMS ?? 10_000);
/** How many people start their call at once while forms are being opened. */
const OPENING = 100;
/** Whole flows before the baseline is read. */
const WARM = 50;

interface Figures {
  phase: string;
  forms: number;
  rssMb: number;
  heapMb: number;
  externalMb: number;
  failed: string[];
  openMs: number;
}

/** With BENCH_HEAP_DIR set, heap snapshots before and after opening (for Chrome DevTools). */
function snapshot(phase: string, when: string): void {
  const dir = process.env.BENCH_HEAP_DIR;
  if (dir) writeHeapSnapshot(join(dir, `${phase.replace(/\W+/g, '-')}-${when}.heapsnapshot`));
}

const ANSWER = { reporter: 'Bench', priority: 'low' };

async function measureOpen(
  phase: string,
  forms: number,
  open: (i: number) => Promise<void>,
  answerAll: () => Promise<string[]>,
): Promise<Figures> {
  await settle();
  snapshot(phase, 'before');
  const before = process.memoryUsage();
  const started = performance.now();
  const failedOpen = await inBatches(forms, OPENING, open);
  const openMs = performance.now() - started;
  await settle();
  const after = process.memoryUsage();
  snapshot(phase, 'after');
  const failedAnswer = failedOpen.length > 0 ? [] : await answerAll();
  return {
    phase,
    forms,
    rssMb: mb(after.rss - before.rss),
    heapMb: mb(after.heapUsed - before.heapUsed),
    externalMb: mb(after.external - before.external),
    failed: [...failedOpen, ...failedAnswer],
    openMs,
  };
}

/** Parley, one era: N people each with one open `create_ticket_v2` form. */
async function parleyPhase(era: 'legacy' | 'auto', forms: number): Promise<Figures> {
  const mcpUrl = process.env.BENCH_MCP_URL as string;
  // A 2025-11-25 form holds its connection (its session waits on the person), so the cap must
  // make room for every form; MRTR runs with the default settings.
  const parley = await startParley(process.env.BENCH_REDIS_URL as string, [demoServer(mcpUrl, era)], {
    ...(era === 'legacy' && { maxConnections: forms + 100 }),
  });
  const { agent, surface } = parley;
  const formIds = new Map<string, string>();
  const flowOpen = async (user: string) => {
    const form = surface.next(user, 'form');
    void agent.message(person(user), `/call demo__create_ticket_v2 {"initial_description":"Memory ${user}"}`);
    formIds.set(user, await form);
  };
  const flowFinish = async (user: string) => {
    const id = formIds.get(user) as string;
    const text = surface.next(user, 'text');
    const reply = await agent.answer(id, person(user), { action: 'submit', values: ANSWER });
    if (!reply.ok) throw new Error(`${user}: ${reply.message}`);
    const done = await text;
    if (!/Created ticket T-\d+/.test(done)) throw new Error(`${user}: ${done}`);
  };
  // Warm: modules, the tool list, one connection's worth of code paths.
  await inBatches(WARM, 10, async (i) => {
    await flowOpen(`warm${i}`);
    await flowFinish(`warm${i}`);
  });
  const users = Array.from({ length: forms }, (_, i) => `u${i}`);
  const figures = await measureOpen(
    era === 'legacy' ? 'Parley, 2025-11-25' : 'Parley, 2026-07-28 (MRTR)',
    forms,
    (i) => flowOpen(users[i] as string),
    () => inBatches(forms, OPENING, (i) => flowFinish(users[i] as string)),
  );
  await parley.close();
  return figures;
}

/** The raw SDK: one Client per person, `callTool` waiting on its elicitation handler. */
async function rawPhase(forms: number): Promise<Figures> {
  const url = new URL(process.env.BENCH_MCP_URL as string);
  const answers: Array<(r: { action: 'accept'; content: typeof ANSWER }) => void> = [];
  const results: Array<Promise<unknown>> = [];
  const clients: Client[] = [];
  const open = async () => {
    const client = new Client(
      { name: 'raw-bench', version: '0' },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: 'legacy' } },
    );
    const asked = new Promise<void>((resolve) => {
      client.setRequestHandler(
        'elicitation/create',
        () =>
          new Promise((answer) => {
            answers.push(answer as (typeof answers)[number]);
            resolve();
          }),
      );
    });
    await client.connect(new StreamableHTTPClientTransport(url));
    clients.push(client);
    results.push(
      client.callTool(
        { name: 'create_ticket_v2', arguments: { initial_description: 'raw' } },
        { timeout: 600_000 },
      ),
    );
    await asked;
  };
  for (let i = 0; i < WARM; i++) {
    await open();
    answers.shift()?.({ action: 'accept', content: ANSWER });
    await results.shift();
    await clients.pop()?.close();
  }
  const figures = await measureOpen(
    'raw SDK, 2025-11-25',
    forms,
    () => open(),
    async () => {
      for (const a of answers) a({ action: 'accept', content: ANSWER });
      const settled = await Promise.allSettled(results);
      return settled.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    },
  );
  await Promise.all(clients.map((c) => c.close()));
  return figures;
}

/** Runs one phase in a fresh process with --expose-gc; resolves with its figures. */
function runPhase(phase: string, env: Record<string, string>): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), phase],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as Figures);
      } catch {
        reject(new Error(`memory phase ${phase} exited ${code}: ${out.slice(-500)}`));
      }
    });
  });
}

async function main(): Promise<void> {
  const phase = process.argv[2];
  if (phase) {
    // Stack traces under tsx map through source maps, parsed (megabytes, once per module) the
    // first time an error's stack is read: a cost of running from sources, not of forms.
    process.setSourceMapsEnabled(false);
    const figures =
      phase === 'parley-legacy'
        ? await parleyPhase('legacy', LEGACY_FORMS)
        : phase === 'parley-mrtr'
          ? await parleyPhase('auto', MRTR_FORMS)
          : await rawPhase(LEGACY_FORMS);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    process.exit(0);
  }
  const mcp = await startDemoServer();
  const redis = await openRedis();
  const env = { BENCH_MCP_URL: mcp.url, BENCH_REDIS_URL: redis.url };
  const rows: Figures[] = [];
  try {
    for (const p of ['raw-legacy', 'parley-legacy', 'parley-mrtr']) rows.push(await runPhase(p, env));
  } finally {
    mcp.stop();
    await redis.stop();
  }
  console.log(
    'Open forms held in one process: RSS and heap over a warmed baseline, each row a fresh process',
  );
  console.log(`(--expose-gc, collected before reading); ${machine()}`);
  const head = ['forms', 'RSS MB', 'heap MB', 'RSS/form', 'heap/form', 'open s', 'failed'];
  console.log(`${'what'.padEnd(28)}${head.map((h, i) => h.padStart(i < 3 ? 8 : 10)).join('')}`);
  const kib = (megabytes: number, n: number) => `${((megabytes * 1024) / n).toFixed(1)} KiB`;
  for (const r of rows)
    console.log(
      [
        r.phase.padEnd(28),
        String(r.forms).padStart(8),
        r.rssMb.toFixed(1).padStart(8),
        r.heapMb.toFixed(1).padStart(8),
        kib(r.rssMb, r.forms).padStart(10),
        kib(r.heapMb, r.forms).padStart(10),
        (r.openMs / 1000).toFixed(1).padStart(10),
        String(r.failed.length).padStart(10),
      ].join(''),
    );
  console.log(
    `(2025-11-25: each open form holds its connection, so that row runs with MCP_MAX_CONNECTIONS ${LEGACY_FORMS + 100}; the default, 200, holds 200 such forms at once. MRTR: default settings.)`,
  );
  let ok = true;
  for (const r of rows)
    if (r.failed.length > 0) {
      ok = false;
      console.log(`${r.phase}: ${r.failed.length} flows failed, first: ${r.failed[0]}`);
    }
  const legacy = rows.find((r) => r.phase.startsWith('Parley, 2025'));
  const mrtr = rows.find((r) => r.phase.startsWith('Parley, 2026'));
  if (legacy) {
    const limit = (100 * legacy.forms) / 1000;
    const met = legacy.rssMb <= limit;
    ok &&= met;
    console.log(
      `goal: ${legacy.forms} open 2025-11-25 forms ≤ ${limit} MB RSS: ${met ? 'met' : 'NOT met'} (raw SDK: ${rows.find((r) => r.phase.startsWith('raw'))?.rssMb.toFixed(0)} MB)`,
    );
  }
  if (mrtr) {
    const perForm = (Math.max(mrtr.heapMb, 0) * 1024 * 1024) / mrtr.forms;
    const met = perForm <= 1024;
    ok &&= met;
    console.log(
      `goal: ${mrtr.forms} MRTR forms waiting ≈ 0 in process (≤ 1 KiB heap each, bounded caches included): ${perForm.toFixed(0)} B each, ${met ? 'met' : 'NOT met'}`,
    );
  }
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
