/**
 * `npm run bench -- slack` (and `slack-1000`): Slack HTTP-mode ack latency as the sender sees it.
 * BENCH_USERS people (default 200) each run a form flow — mention the bot, press Fill in, submit
 * the modal, get the ticket — through signed requests to /slack/events, against the real agent,
 * the demo MCP server and Redis (REDIS_URL, else a throwaway redis-server, else the in-memory
 * store; BENCH_STORE=memory forces it).
 *
 * Three processes, so no one's CPU or event loop is billed to another:
 * - Parley (slack-ack-parley.ts): agent, HTTP server, Slack adapter; measures received → ack,
 *   its event-loop delay and its CPU;
 * - the load generator (slack-ack-generator.ts): autocannon, handed requests already built and
 *   signed, so during a burst it only writes bytes and reads acks;
 * - this one: the fake Slack API (which Parley calls back: messages, modals) and the demo MCP
 *   server. They answer Parley's calls during a burst, so they must not share the generator's
 *   loop (that would inflate sender-side times) nor Parley's (that would bill their CPU to it);
 *   and the fake's model of messages and modals is what the next phase's requests are built from.
 *
 * The flow has data dependencies (a click needs the posted message, a submit the opened modal's
 * id), so it runs in phases; each is one burst of every person at once:
 * 1. mentions; wait until every "Fill in" message is posted;
 * 2. the Fill in clicks (built and signed now, their trigger ids armed as they go out); wait
 *    until every modal is open (views.open within the trigger's 3 s);
 * 3. the modal submits; wait until every ticket is posted.
 * A flow fails if any step errs (no ack, non-200, or an ack after Slack's 3 s), its modal never
 * opens, or its ticket never arrives. Exit code 1 on any failed flow or a missed goal.
 *
 *   BENCH_USERS          people (default 200)
 *   BENCH_LLM            "stream": the mention is plain words a scripted model (streamed, as
 *                        OpenAI streams) turns into the tool call, and the answer streams with
 *                        Slack's chat streaming API; unset: a direct `/call`
 *   BENCH_GOAL_P99_MS    sender-side p99 goal (default 500 up to 200 people, else 1,000)
 *   BENCH_STORE=memory   the in-memory store instead of Redis
 *   BENCH_CPU_PROF=dir   write a CPU profile of the Parley process into dir
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMcpServer } from '../../mcp-server/server.js';
import { silentLogger } from '../../src/logger.js';
import { type FakeMessage, FakeSlack, type FakeView } from '../helpers/fake-slack.js';
import { type RedisProcess, startRedisProcess } from '../helpers/redis-process.js';
import {
  type ChatRequest,
  type ScriptedLlm,
  type ScriptStep,
  startScriptedLlm,
} from '../helpers/scripted-llm.js';
import type { BurstResult, PreparedRequest } from './slack-ack-generator.js';
import type { PhaseFigures } from './slack-ack-parley.js';
import { aggregate, LABEL, load, type PhaseName, type PhaseReport, printReport } from './slack-ack-report.js';

const USERS = Number(process.env.BENCH_USERS ?? 200);
const STREAMED_LLM = process.env.BENCH_LLM === 'stream';
const GOAL_P99_MS = Number(process.env.BENCH_GOAL_P99_MS ?? (USERS <= 200 ? 500 : 1_000));
const WARM_USERS = Math.min(20, USERS);
const SECRET = 'bench-signing-secret';
/** Slack gives an ack 3 s; after that it retries (events) or shows the person an error. */
const SLACK_ACK_MS = 3_000;
/** How long a phase's outcomes (messages, modals, tickets) may take after its burst. */
const OUTCOME_TIMEOUT_MS = Number(process.env.BENCH_OUTCOME_TIMEOUT_MS ?? 60_000);

interface Flow {
  i: number;
  user: string;
  ts?: string;
  offer?: FakeMessage;
  formId?: string;
  view?: FakeView;
  failed?: string;
}

async function openStore(): Promise<{ url?: string; label: string; redis?: RedisProcess }> {
  if (process.env.BENCH_STORE === 'memory') return { label: 'in-memory store' };
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, label: 'Redis (REDIS_URL)' };
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status === 0) {
    const redis = await startRedisProcess();
    return { url: redis.url, label: 'Redis (throwaway redis-server)', redis };
  }
  return { label: 'in-memory store (no Redis found)' };
}

/** A child process and a way to wait for its next message of a type. */
function child(file: string, env: Record<string, string>, execArgv: string[] = []) {
  const proc = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    execArgv: [...execArgv, '--import', 'tsx'],
    env: { ...process.env, ...env },
  });
  // Never outlive this process, whatever way it ends.
  process.once('exit', () => proc.kill());
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { type: string } & T) => {
        if (m.type !== type) return;
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code: number | null) => reject(new Error(`${file} exited early (code ${code}).`));
      proc.on('message', onMessage);
      proc.once('exit', onExit);
    });
  return { proc, next };
}

async function main(): Promise<void> {
  const loadAtStart = load();
  const store = await openStore();
  const mcp = await startMcpServer({ port: 0, logger: silentLogger() });
  const slack = await FakeSlack.start({ validate: true });
  const llm = STREAMED_LLM ? await startBenchLlm() : undefined;
  const prof = process.env.BENCH_CPU_PROF;
  const parley = child(
    'slack-ack-parley.ts',
    {
      BENCH_MCP_URL: mcp.url,
      BENCH_SLACK_API_URL: slack.apiUrl,
      BENCH_BOT_TOKEN: slack.botToken,
      BENCH_SIGNING_SECRET: SECRET,
      BENCH_PREFIX: `parley-bench:${Date.now()}:`,
      ...(store.url && { BENCH_REDIS_URL: store.url }),
      ...(llm && { BENCH_LLM_URL: llm.baseURL }),
    },
    prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [],
  );
  const generator = child('slack-ack-generator.ts', {});
  const [{ port }] = await Promise.all([
    parley.next<{ port: number }>('ready'),
    generator.next<unknown>('ready'),
  ]);
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  slack.useHttp({ url: eventsUrl, signingSecret: SECRET });

  // The fake's model, indexed by thread and by person as it changes (a scan of everything per
  // change would make this process, not Parley, the bottleneck).
  const byThread = new Map<string, FakeMessage[]>();
  const viewsByUser = new Map<string, FakeView[]>();
  const waiters = new Map<string, Set<() => void>>();
  const add = <T>(map: Map<string, T[]>, key: string, x: T) => {
    const list = map.get(key) ?? [];
    if (!list.includes(x)) list.push(x);
    map.set(key, list);
    for (const w of waiters.get(key) ?? []) w();
  };
  slack.watch((change) => {
    if (change.kind === 'view') add(viewsByUser, change.view.user, change.view);
    else add(byThread, change.message.threadTs ?? change.message.ts, change.message);
  });
  function until<T>(key: string, find: () => T | undefined, what: string): Promise<T> {
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const set = waiters.get(key) ?? new Set<() => void>();
      waiters.set(key, set);
      const check = () => {
        const f = find();
        if (f === undefined) return;
        clearTimeout(timer);
        set.delete(check);
        resolve(f);
      };
      const timer = setTimeout(() => {
        set.delete(check);
        reject(new Error(`${what} never came (waited ${OUTCOME_TIMEOUT_MS / 1000} s)`));
      }, OUTCOME_TIMEOUT_MS);
      set.add(check);
    });
  }

  /** The request a phase sends for a flow, and what the flow waits for afterwards. */
  const steps: Record<
    PhaseName,
    {
      build: (f: Flow) => { request: PreparedRequest; trigger?: string };
      outcome: (f: Flow) => Promise<void>;
    }
  > = {
    mention: {
      build: (f) => {
        const text = STREAMED_LLM
          ? `please file a ticket: Bench ${f.i}`
          : `/call demo__create_ticket_v2 {"initial_description":"Bench ${f.i}"}`;
        const d = slack.prepareMention(f.user, 'CBENCH', text);
        f.ts = d.ts;
        return { request: slack.signedRequest(d.type, d.payload) };
      },
      outcome: async (f) => {
        const ts = f.ts as string;
        const offer = await until(
          ts,
          () => byThread.get(ts)?.find((m) => JSON.stringify(m.blocks).includes('parley_form_open')),
          'the Fill in message',
        );
        const actions = offer.blocks.find((b) => b.type === 'actions')?.elements as Array<{ value?: string }>;
        f.offer = offer;
        f.formId = String(actions[0]?.value);
      },
    },
    click: {
      build: (f) => {
        const d = slack.prepareClick(f.user, f.offer as FakeMessage, 'parley_form_open');
        return { request: slack.signedRequest(d.type, d.payload), trigger: d.triggerId };
      },
      outcome: async (f) => {
        f.view = await until(
          f.user,
          () => viewsByUser.get(f.user)?.find((v) => v.view.private_metadata === f.formId),
          'the modal',
        );
      },
    },
    submit: {
      build: (f) => {
        const values = { reporter: `Person ${f.i}`, priority: 'low' };
        const d = slack.prepareSubmit(f.user, (f.view as FakeView).id, values);
        return { request: slack.signedRequest(d.type, d.payload) };
      },
      outcome: async (f) => {
        const ts = f.ts as string;
        // With the streamed model the ticket must arrive in a message Slack's streaming API wrote.
        const answered = (m: FakeMessage) =>
          /T-\d+/.test(m.text) && (!STREAMED_LLM || m.stream === 'stopped');
        await until(ts, () => byThread.get(ts)?.find(answered), 'the ticket').catch((err: unknown) => {
          const seen = (byThread.get(ts) ?? []).map((m) => `${m.stream ?? 'plain'}: ${m.text.slice(0, 80)}`);
          throw new Error(
            `${err instanceof Error ? err.message : String(err)}; the thread: ${seen.join(' | ')}`,
          );
        });
      },
    },
  };

  async function phase(name: PhaseName, flows: Flow[], first: boolean): Promise<PhaseReport> {
    const live = flows.filter((f) => !f.failed);
    // Built and signed before the burst: the generator only sends them.
    const built = live.map((f, k) => {
      const b = steps[name].build(f);
      // Not Slack's: lets Parley's times be lined up with the generator's (see `where`).
      b.request.headers['x-bench-id'] = String(k);
      return b;
    });
    parley.proc.send({ type: 'phase', name, first });
    await parley.next('started');
    const sent = generator.next('sent');
    generator.proc.send({
      type: 'burst',
      url: eventsUrl,
      requests: built.map((b) => b.request),
      timeoutS: 30,
    });
    const answers = generator.next<BurstResult>('result');
    await sent;
    const burstAt = performance.now();
    // Slack issues a trigger id when the person clicks: its 3 s start now.
    for (const b of built) if (b.trigger) slack.armTrigger(b.trigger);
    const result = await answers;
    const outcomes: number[] = [];
    await Promise.all(
      live.map(async (f, k) => {
        const ack = result.outcomes[k];
        if (!ack) f.failed = `${LABEL[name]}: no ack (connection error or timeout)`;
        else if (ack.status !== 200) f.failed = `${LABEL[name]}: HTTP ${ack.status}`;
        else if (ack.ms > SLACK_ACK_MS) f.failed = `${LABEL[name]}: acked after Slack's 3 s`;
        if (f.failed) return;
        try {
          await steps[name].outcome(f);
          outcomes.push(performance.now() - burstAt);
        } catch (err) {
          f.failed = `${LABEL[name]}: ${err instanceof Error ? err.message : String(err)}`;
        }
      }),
    );
    parley.proc.send({ type: 'end' });
    const figures = await parley.next<PhaseFigures>('figures');
    // Where each ack's time went: sent → Parley has the headers → acked → the sender has it.
    const where = {
      beforeParley: [] as number[],
      inParley: [] as number[],
      back: [] as number[],
    };
    result.outcomes.forEach((o, k) => {
      const t = figures.timeline[String(k)];
      if (!o || !t) return;
      where.beforeParley.push(t[0] - o.sentAt);
      where.inParley.push(t[1] - t[0]);
      where.back.push(o.sentAt + o.ms - t[1]);
    });
    return {
      name,
      sender: aggregate([result.result]),
      encoded: result.result,
      parley: figures,
      outcomes,
      setupMs: result.setupMs,
      releaseMs: result.releaseMs,
      generatorLoop: result.loopMs,
      where,
    };
  }

  const run = async (people: number, from: number) => {
    const flows: Flow[] = Array.from({ length: people }, (_, k) => ({
      i: from + k,
      user: `UBENCH${from + k}`,
    }));
    const reports: PhaseReport[] = [];
    for (const name of ['mention', 'click', 'submit'] as const)
      reports.push(await phase(name, flows, name === 'mention'));
    return { flows, reports };
  };

  // A smaller round first, uncounted: a running Parley has loaded its modules, warmed its code
  // and opened its pools; the generator has warmed its own.
  const warm = await run(WARM_USERS, 100_000);
  const warmFailed = warm.flows.filter((f) => f.failed);
  if (warmFailed.length > 0) throw new Error(`The warm-up round failed: ${warmFailed[0]?.failed}`);
  const wall = performance.now();
  const { flows, reports } = await run(USERS, 0);
  const elapsed = (performance.now() - wall) / 1000;

  const { failed, met } = printReport({
    users: USERS,
    storeLabel: store.label,
    flows,
    reports,
    elapsed,
    goalP99Ms: GOAL_P99_MS,
    loadAtStart,
    profileDir: prof,
    violations: slack.violations.length,
  });

  const stopped = (p: ChildProcess) => new Promise((resolve) => p.once('exit', resolve));
  const exits = [stopped(parley.proc), stopped(generator.proc)];
  parley.proc.send({ type: 'stop' });
  generator.proc.send({ type: 'stop' });
  await Promise.all(exits);
  await slack.close();
  await mcp.close();
  await llm?.close();
  await store.redis?.stop();
  process.exit(failed.length > 0 || !met || slack.violations.length > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

/**
 * The scripted model for `BENCH_LLM=stream`, streamed word by word: a person's words become a
 * `create_ticket_v2` call (the description after "ticket:"), a tool result becomes an answer that
 * quotes it (so the ticket id shows in the streamed message), streamed over about two seconds. One rule for every request,
 * however many people ask at once.
 */
async function startBenchLlm(): Promise<ScriptedLlm> {
  const llm = await startScriptedLlm();
  const rule = (request: ChatRequest): ScriptStep => {
    llm.push(rule);
    const last = request.messages.at(-1);
    if (last?.role === 'tool') {
      // Long enough in the making (about 2 s) that Slack's streaming API is used, not one post.
      const content = `Done. ${String(last.content ?? '')} Anything else I can file for you today?`;
      return {
        content,
        pieces: content.split(/(?<= )/),
        gapMs: Math.ceil(2_000 / content.split(' ').length),
      };
    }
    const asked = String(last?.content ?? '');
    const description = asked.split('ticket:')[1]?.trim() || asked;
    return {
      toolCalls: [{ name: 'demo__create_ticket_v2', arguments: { initial_description: description } }],
    };
  };
  llm.push(rule);
  return llm;
}
