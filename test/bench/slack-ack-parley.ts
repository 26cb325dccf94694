/**
 * The Parley process of the Slack ack bench (slack-ack.ts): the agent, Parley's HTTP server and
 * the Slack adapter in HTTP mode, nothing else, so the CPU and event loop measured here are
 * Parley's. It measures, per phase of the bench:
 * - received → ack: from the moment the whole request body has arrived to the moment the ack is
 *   written (a busy sender can leave time between headers and body; that wait is not Parley's),
 *   and headers → ack;
 * - its event loop's delay (perf_hooks monitorEventLoopDelay) and its CPU time.
 *
 * Configured by the parent through the environment (BENCH_*), driven over IPC:
 * in `{ type: 'phase', name }` (start measuring a phase), `{ type: 'end' }` (report it),
 * `{ type: 'stop' }`; out `{ type: 'ready', port }`, `{ type: 'started' }`, and a
 * {@link PhaseFigures} per `end`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createSlackAdapter, SLACK_EVENTS_PATH } from '../../adapters/slack/index.js';
import { Agent } from '../../src/agent.js';
import { serverSchema } from '../../src/config.js';
import { ParleyHttpServer } from '../../src/http.js';
import { OpenAiLlm } from '../../src/llm.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { MemoryStore, RedisStore, type Store } from '../../src/store/index.js';
import { testSealer } from '../helpers/sealer.js';

/** What Parley measured during one phase. Times in ms; CPU as a share of one core. */
export interface PhaseFigures {
  type: 'figures';
  name: string;
  received: number[];
  headers: number[];
  /**
   * Parley's CPU time (ms) from the phase's first delivery to each ack, in ack order: how much
   * work came before it (sampled at most once per ms). Unlike wall-clock times this barely depends on what else the machine runs.
   */
  cpuAtAck: number[];
  /** By the request's x-bench-id: when Parley had its headers, and when it acked (epoch ms). */
  timeline: Record<string, [number, number]>;
  loop: { p50: number; p99: number; max: number };
  /** The event-loop delay over every phase since the one sent with `first: true`. */
  loopSoFar: { p99: number; max: number };
  cpu: number;
  wallMs: number;
  /** The phase on the monotonic clock, µs (process.hrtime): to cut a `--cpu-prof` profile. */
  clockUs: [number, number];
}

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`The bench's Parley process needs ${name}.`);
  return v;
};

async function main(): Promise<void> {
  // BENCH_LOG=warn (or another level) to see what Parley logs, on stderr.
  const level = process.env.BENCH_LOG;
  const logger = level ? createLogger({ level, destination: process.stderr }) : silentLogger();
  const redisUrl = process.env.BENCH_REDIS_URL;
  const store: Store = redisUrl
    ? new RedisStore({ url: redisUrl, prefix: env('BENCH_PREFIX') })
    : new MemoryStore({});
  const agent = new Agent({
    store,
    servers: [serverSchema.parse({ name: 'demo', url: env('BENCH_MCP_URL') })],
    logger,
    ...(process.env.BENCH_LLM_URL && {
      llm: new OpenAiLlm({ apiKey: 'bench', baseURL: process.env.BENCH_LLM_URL, model: 'bench' }),
    }),
    // The default settings (MCP_MAX_CONNECTIONS 200): past the cap, people share the slots of
    // idle connections, and work waits for one rather than failing.
  });
  const http = new ParleyHttpServer({ store, logger, publicBaseUrl: 'http://127.0.0.1' });

  const newPhase = (name: string) => ({
    name,
    received: [] as number[],
    headers: [] as number[],
    cpuAtAck: [] as number[],
    timeline: {} as Record<string, [number, number]>,
    /** CPU when the phase's first delivery arrived (before it: accepting the generator's sockets). */
    cpuAtFirst: undefined as NodeJS.CpuUsage | undefined,
  });
  let phase = newPhase('warm');
  let cpuAtStart = process.cpuUsage();
  // getrusage per ack would itself be a cost in the loop measured: sampled at most once per ms.
  let cpuSampledAt = 0;
  let cpuSample = 0;
  const cpuSince = (first: NodeJS.CpuUsage) => {
    const now = performance.now();
    if (now - cpuSampledAt >= 1) {
      const cpu = process.cpuUsage(first);
      cpuSample = (cpu.user + cpu.system) / 1000;
      cpuSampledAt = now;
    }
    return cpuSample;
  };
  // Registered before the adapter's route, so it sees every delivery first.
  http.app.use(SLACK_EVENTS_PATH, (req, res, next) => {
    const atHeaders = performance.now();
    let atBody = atHeaders;
    req.once('end', () => {
      atBody = performance.now();
    });
    const into = phase;
    if (!into.cpuAtFirst) {
      into.cpuAtFirst = process.cpuUsage();
      cpuSampledAt = 0;
    }
    const first = into.cpuAtFirst;
    res.once('finish', () => {
      const now = performance.now();
      into.received.push(now - atBody);
      into.headers.push(now - atHeaders);
      into.cpuAtAck.push(cpuSince(first));
      const id = req.headers['x-bench-id'];
      if (typeof id === 'string')
        into.timeline[id] = [performance.timeOrigin + atHeaders, performance.timeOrigin + now];
    });
    next();
  });
  const adapter = createSlackAdapter({
    agent,
    store,
    sealer: testSealer(),
    http,
    logger,
    botToken: env('BENCH_BOT_TOKEN'),
    signingSecret: env('BENCH_SIGNING_SECRET'),
    apiUrl: env('BENCH_SLACK_API_URL'),
    retries: 0,
  });
  agent.attach(adapter.surface);
  const port = await http.listen(0, '127.0.0.1');
  await agent.start();
  await adapter.start();

  // How long the event loop was held up: every delivery waiting to be read waits this long too.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  // The measured phases together (from a phase sent with `first: true`).
  const overallLoop = monitorEventLoopDelay({ resolution: 5 });
  let wallAtStart = performance.now();
  let clockAtStart = 0;
  const clockUs = () => Number(process.hrtime.bigint() / 1000n);
  const send = (m: unknown) => process.send?.(m);
  type Message = { type: 'phase'; name: string; first?: boolean } | { type: 'end' } | { type: 'stop' };
  process.on('message', (m: Message) => {
    if (m.type === 'phase') {
      if (m.first) overallLoop.reset();
      overallLoop.enable();
      phase = newPhase(m.name);
      loopDelay.reset();
      loopDelay.enable();
      cpuAtStart = process.cpuUsage();
      wallAtStart = performance.now();
      clockAtStart = clockUs();
      send({ type: 'started' });
    } else if (m.type === 'end') {
      loopDelay.disable();
      overallLoop.disable();
      const cpu = process.cpuUsage(cpuAtStart);
      const wallMs = performance.now() - wallAtStart;
      const ms = (ns: number) => ns / 1e6;
      send({
        type: 'figures',
        name: phase.name,
        received: phase.received,
        headers: phase.headers,
        cpuAtAck: phase.cpuAtAck,
        timeline: phase.timeline,
        loop: {
          p50: ms(loopDelay.percentile(50)),
          p99: ms(loopDelay.percentile(99)),
          max: ms(loopDelay.max),
        },
        loopSoFar: { p99: ms(overallLoop.percentile(99)), max: ms(overallLoop.max) },
        cpu: (cpu.user + cpu.system) / 1000 / wallMs,
        wallMs,
        clockUs: [clockAtStart, clockUs()],
      } satisfies PhaseFigures);
    } else {
      void (async () => {
        await adapter.stop();
        await agent.stop();
        await http.close();
        await store.close();
        // A normal exit: `--cpu-prof` writes its profile now.
        process.exit(0);
      })();
    }
  });
  send({ type: 'ready', port });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench Parley process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
