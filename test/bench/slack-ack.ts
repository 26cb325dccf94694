/**
 * `npm run bench`: Slack ack latency under load. 200 simulated people each run a form flow at the
 * same time — mention the bot, press Fill in, submit the modal, get the ticket — through the
 * HTTP receiver (signed requests to /slack/events on Parley's HTTP server), against the real
 * agent, the demo MCP server and Redis (REDIS_URL, or a throwaway redis-server, or the in-memory
 * store when neither is there). It prints, p50 / p99 / max:
 * - Parley: received → ack — from the moment Parley has read a delivery to its ack, per kind;
 * - sent → ack — from the moment the fake Slack sent it: an upper bound that also counts the
 *   sender's own delays and any time the request waited for Parley's event loop (whose delay is
 *   printed too);
 * - the round trip as the sender sees it, and each whole flow.
 * Parley runs alone in this process; the fake Slack, its people and the demo MCP server run in a
 * child process, so they don't share Parley's event loop (they do share the machine's cores).
 *
 *   BENCH_USERS   people (default 200)
 *   BENCH_STORE   "memory" to compare against the in-memory store
 */
import { fork, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createSlackAdapter, SLACK_EVENTS_PATH } from '../../adapters/slack/index.js';
import { startMcpServer } from '../../mcp-server/server.js';
import { Agent } from '../../src/agent.js';
import { serverSchema } from '../../src/config.js';
import { ParleyHttpServer } from '../../src/http.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore, RedisStore, type Store } from '../../src/store/index.js';
import { type Ack, type FakeMessage, FakeSlack, type FakeView } from '../helpers/fake-slack.js';
import { type RedisProcess, startRedisProcess } from '../helpers/redis-process.js';
import { testSealer } from '../helpers/sealer.js';

const USERS = Number(process.env.BENCH_USERS ?? 200);
const SECRET = 'bench-signing-secret';

type Kind = 'event' | 'click' | 'submit';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function openStore(): Promise<{ store: Store; label: string; redis?: RedisProcess }> {
  if (process.env.BENCH_STORE === 'memory') return { store: new MemoryStore({}), label: 'in-memory store' };
  if (process.env.REDIS_URL)
    return {
      store: new RedisStore({ url: process.env.REDIS_URL, prefix: `parley-bench:${Date.now()}:` }),
      label: 'Redis (REDIS_URL)',
    };
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status === 0) {
    const redis = await startRedisProcess();
    return {
      store: new RedisStore({ url: redis.url, prefix: 'parley-bench:' }),
      label: 'Redis (throwaway redis-server)',
      redis,
    };
  }
  return { store: new MemoryStore({}), label: 'in-memory store (no Redis found)' };
}

/** Both numbers a run reports: Parley's own (received → ack sent) and the round trip the driver sees. */
interface DriverReport {
  acks: Record<Kind, number[]>;
  flows: number[];
  failed: string[];
  elapsedMs: number;
  violations: number;
}

function row(name: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(1).padStart(8);
  return `${name.padEnd(26)}${String(s.length).padStart(6)}${f(percentile(s, 50))}${f(percentile(s, 99))}${f(s.at(-1) ?? Number.NaN)}`;
}

/**
 * The Parley process: agent, HTTP server and Slack adapter, nothing else, so the figures are
 * Parley's. The fake Slack, the people and the demo MCP server run in a child process (the driver).
 */
async function parley(): Promise<void> {
  const logger = silentLogger();
  const { store, label, redis } = await openStore();
  const driver = fork(fileURLToPath(import.meta.url), ['--driver'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_USERS: String(USERS) },
  });
  const fromDriver = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { type: string } & T) => {
        if (m.type !== type) return;
        driver.off('message', onMessage);
        resolve(m);
      };
      driver.on('message', onMessage);
      driver.once('exit', (code) => reject(new Error(`The bench driver exited early (code ${code}).`)));
    });
  const ready = await fromDriver<{ apiUrl: string; botToken: string; mcpUrl: string }>('ready');

  const agent = new Agent({
    store,
    servers: [serverSchema.parse({ name: 'demo', url: ready.mcpUrl })],
    logger,
    maxConnections: USERS + 10,
  });
  const http = new ParleyHttpServer({ store, logger, publicBaseUrl: 'http://127.0.0.1' });
  // Received → ack sent, measured inside Parley: registered before the adapter's route.
  // "Received" is when the whole request body has arrived: a busy sender can leave seconds between
  // the headers and the body, and that wait is not Parley's. Both figures are printed.
  const serverAcks: number[] = [];
  const serverAcksFromHeaders: number[] = [];
  const serverAcksFromSent: number[] = [];
  const serverAcksByKind: Record<string, number[]> = {};
  http.app.use(SLACK_EVENTS_PATH, (req, res, next) => {
    const headers = performance.now();
    let body = headers;
    // Listening alongside Bolt's body reader, only to tell the kinds of delivery apart.
    let head = '';
    req.on('data', (chunk: Buffer) => {
      if (head.length < 200) head += chunk.toString('latin1', 0, 200);
    });
    req.once('end', () => {
      body = performance.now();
    });
    const sent = Number(req.headers['x-fake-slack-sent']);
    res.once('finish', () => {
      const now = performance.now();
      serverAcks.push(now - body);
      serverAcksFromHeaders.push(now - headers);
      if (Number.isFinite(sent)) serverAcksFromSent.push(performance.timeOrigin + now - sent);
      const kind = /"type":"(\w+)"|type%22%3A%22(\w+)/.exec(head);
      const name =
        kind?.[1] === 'event_callback' || head.includes('app_mention')
          ? 'app_mention'
          : (kind?.[2] ?? kind?.[1] ?? 'other');
      const list = serverAcksByKind[name] ?? [];
      list.push(now - body);
      serverAcksByKind[name] = list;
    });
    next();
  });
  const adapter = createSlackAdapter({
    agent,
    store,
    sealer: testSealer(),
    http,
    logger,
    botToken: ready.botToken,
    signingSecret: SECRET,
    apiUrl: ready.apiUrl,
    retries: 0,
  });
  agent.attach(adapter.surface);
  const port = await http.listen(0, '127.0.0.1');
  await agent.start();
  await adapter.start();

  process.stdout.write(
    `Slack ack latency: ${USERS} people, one form flow each, all at once (HTTP receiver, ${label}).\n`,
  );
  const done = fromDriver<DriverReport>('done');
  // How long Parley's event loop was held up: a stall here delays every ack queued behind it,
  // whether Parley was busy or the machine gave its CPU to someone else.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  let cpuAtStart = process.cpuUsage();
  let wallAtStart = performance.now();
  void fromDriver('warm').then(() => {
    serverAcks.length = 0;
    serverAcksFromHeaders.length = 0;
    serverAcksFromSent.length = 0;
    for (const k of Object.keys(serverAcksByKind)) delete serverAcksByKind[k];
    loopDelay.reset();
    loopDelay.enable();
    cpuAtStart = process.cpuUsage();
    wallAtStart = performance.now();
  });
  driver.send({ type: 'go', eventsUrl: `http://127.0.0.1:${port}${SLACK_EVENTS_PATH}` });
  const report = await done;
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuAtStart);
  const busy = (cpu.user + cpu.system) / 1000 / (performance.now() - wallAtStart);

  const all = [...report.acks.event, ...report.acks.click, ...report.acks.submit];
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out();
  out(
    `${'ack (ms)'.padEnd(26)}${'n'.padStart(6)}${'p50'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}`,
  );
  out(row('Parley: received → ack', serverAcks));
  out(row('Parley: headers → ack', serverAcksFromHeaders));
  out(row('sent → ack (upper bound)', serverAcksFromSent));
  for (const [kind, xs] of Object.entries(serverAcksByKind)) out(row(`  Parley: ${kind}`, xs));
  out(row('round trip: mention', report.acks.event));
  out(row('round trip: Fill in', report.acks.click));
  out(row('round trip: modal submit', report.acks.submit));
  out(row('round trip: all', all));
  out();
  out(row('whole flow (ms)', report.flows));
  out();
  const p99 = percentile(
    [...serverAcks].sort((a, b) => a - b),
    99,
  );
  out(
    `${USERS - report.failed.length}/${USERS} flows completed in ${(report.elapsedMs / 1000).toFixed(1)} s; ` +
      `received → ack p99 ${p99.toFixed(1)} ms (target ≤ 50 ms: ${p99 <= 50 ? 'met' : 'NOT met'}; ` +
      'a delivery may also wait up to the event-loop delay below before Parley reads it).',
  );
  out(
    `Parley's event loop: delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms; ` +
      `CPU ${(busy * 100).toFixed(0)}% of one core. Load average now: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} cores.`,
  );
  if (report.violations > 0) out(`Slack limit violations: ${report.violations}`);
  for (const f of report.failed.slice(0, 3)) out(`failed: ${f}`);

  await adapter.stop();
  await agent.stop();
  await http.close();
  await store.close();
  await redis?.stop();
  driver.send({ type: 'stop' });
  process.exit(report.failed.length > 0 ? 1 : 0);
}

/** The driver process: the fake Slack with its people, and the demo MCP server. */
async function drive(): Promise<void> {
  const send = (m: unknown) => process.send?.(m);
  const mcp = await startMcpServer({ port: 0, logger: silentLogger() });
  const slack = await FakeSlack.start({ validate: true });
  send({ type: 'ready', apiUrl: slack.apiUrl, botToken: slack.botToken, mcpUrl: mcp.url });
  const { eventsUrl } = await new Promise<{ eventsUrl: string }>((resolve) =>
    process.once('message', (m: { eventsUrl: string }) => resolve(m)),
  );
  slack.useHttp({ url: eventsUrl, signingSecret: SECRET });

  // Waits on the fake's model, by thread and by person, woken by its change notifications (a
  // scan of everything per change would make the driver, not Parley, the bottleneck).
  const byThread = new Map<string, FakeMessage[]>();
  const viewsByUser = new Map<string, FakeView[]>();
  const waiters = new Map<string, Set<() => void>>();
  const wake = (key: string) => {
    for (const w of waiters.get(key) ?? []) w();
  };
  slack.watch((change) => {
    if (change.kind === 'view') {
      const list = viewsByUser.get(change.view.user) ?? [];
      if (!list.includes(change.view)) list.push(change.view);
      viewsByUser.set(change.view.user, list);
      wake(`user:${change.view.user}`);
      return;
    }
    const key = change.message.threadTs ?? change.message.ts;
    const list = byThread.get(key) ?? [];
    if (!list.includes(change.message)) list.push(change.message);
    byThread.set(key, list);
    wake(`thread:${key}`);
  });
  function until<T>(key: string, find: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const set = waiters.get(key) ?? new Set<() => void>();
      waiters.set(key, set);
      const timer = setTimeout(() => {
        set.delete(check);
        reject(new Error(`Timed out waiting for ${what}.`));
      }, timeoutMs);
      const check = () => {
        const f = find();
        if (f === undefined) return;
        clearTimeout(timer);
        set.delete(check);
        resolve(f);
      };
      set.add(check);
    });
  }

  const acks: Record<Kind, number[]> = { event: [], click: [], submit: [] };
  const flows: number[] = [];
  const note = (kind: Kind, ack: Ack) => {
    if (ack.status !== 200) throw new Error(`A ${kind} got HTTP ${ack.status}.`);
    acks[kind].push(ack.ms);
  };
  const offerIn = (ts: string) =>
    byThread.get(ts)?.find((m) => m.blocks.some((b) => JSON.stringify(b).includes('parley_form_open')));

  async function flow(i: number): Promise<void> {
    const user = `UBENCH${i}`;
    const started = performance.now();
    const text = `/call demo__create_ticket_v2 {"initial_description":"Bench ${i}"}`;
    const { ts, ack } = await slack.mention(user, 'CBENCH', text);
    note('event', ack);
    const offer = await until<FakeMessage>(`thread:${ts}`, () => offerIn(ts), `the form for ${user}`);
    const actions = offer.blocks.find((b) => b.type === 'actions')?.elements as Array<
      Record<string, unknown>
    >;
    const formId = String(actions[0]?.value);
    note('click', await slack.click(user, offer, 'parley_form_open'));
    const view = await until<FakeView>(
      `user:${user}`,
      () => viewsByUser.get(user)?.find((v) => v.view.private_metadata === formId),
      `the modal for ${user}`,
    );
    note('submit', await slack.submitView(user, view.id, { reporter: `Person ${i}`, priority: 'low' }));
    await until(
      `thread:${ts}`,
      () => byThread.get(ts)?.find((m) => /T-\d+/.test(m.text)),
      `the ticket for ${user}`,
    );
    flows.push(performance.now() - started);
  }

  // One flow first, uncounted: a running Parley has loaded its modules and opened its pools.
  await flow(-1);
  for (const k of Object.keys(acks) as Kind[]) acks[k].length = 0;
  flows.length = 0;
  send({ type: 'warm' });
  const wall = performance.now();
  const results = await Promise.allSettled(Array.from({ length: USERS }, (_, i) => flow(i)));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  send({
    type: 'done',
    acks,
    flows,
    failed,
    elapsedMs: performance.now() - wall,
    violations: slack.violations.length,
  } satisfies DriverReport & { type: string });
  await new Promise((resolve) => process.once('message', resolve));
  await slack.close();
  await mcp.close();
  process.exit(0);
}

(process.argv.includes('--driver') ? drive() : parley()).catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
