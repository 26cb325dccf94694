/**
 * What the cost benchmarks (memory, cpu, overhead, knee) share: the demo MCP server and the
 * scripted LLM in child processes, a Redis (REDIS_URL, else a throwaway redis-server), and a
 * Parley in this process — the
 * real agent on the store as the composition root builds it (`createStore`), with a surface that
 * keeps almost nothing (so what this process holds is Parley's) and lets the driver wait for a
 * person's next form or answer. Figures helpers (`fmt`, `machine`) keep the printouts alike.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Agent, type AgentOptions } from '../../src/agent.js';
import { type ServerConfig, serverSchema } from '../../src/config.js';
import type { Conversation } from '../../src/conversation.js';
import { type Llm, OpenAiLlm } from '../../src/llm.js';
import { silentLogger } from '../../src/logger.js';
import { createStore, type Store } from '../../src/store/index.js';
import type { ChatSurface, OutboundMessage } from '../../src/surface.js';
import { type RedisProcess, startRedisProcess } from '../helpers/redis-process.js';

export interface DemoServer {
  url: string;
  child: ChildProcess;
  stop(): void;
}

/** The demo MCP server (both eras on one endpoint) in a child process of its own. */
export async function startDemoServer(): Promise<DemoServer> {
  const child = fork(fileURLToPath(new URL('demo-server-process.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`the demo MCP server exited (${code})`)));
  });
  return { url, child, stop: () => child.kill() };
}

/** The scripted LLM (llm-process.ts: one rule for everyone) in a child process of its own. */
export async function startLlm(): Promise<{ baseURL: string; llm: Llm; stop(): void }> {
  const child = fork(fileURLToPath(new URL('llm-process.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
  });
  const baseURL = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { baseURL: string }) => resolve(m.baseURL));
    child.once('exit', (code) => reject(new Error(`the scripted LLM exited (${code})`)));
  });
  return {
    baseURL,
    llm: new OpenAiLlm({ apiKey: 'bench', baseURL, model: 'scripted' }),
    stop: () => child.kill(),
  };
}

/** REDIS_URL, or a throwaway redis-server (stopped by `stop`). */
export async function openRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  const redis: RedisProcess = await startRedisProcess();
  return { url: redis.url, stop: () => redis.stop() };
}

export function demoServer(url: string, era: 'legacy' | 'auto', extra: Record<string, unknown> = {}) {
  return serverSchema.parse({ name: 'demo', url, era, ...extra });
}

type Seen = { form?: string; text?: string };

/**
 * The bench's adapter: per person, only the id of the last form shown and the last answer text.
 * `next(user, kind)` resolves with the next one to arrive (or one that arrived unclaimed).
 */
export class BenchSurface implements ChatSurface {
  readonly platform = 'bench';
  private readonly seen = new Map<string, Seen>();
  private readonly waiting = new Map<string, { kind: keyof Seen; resolve: (v: string) => void }>();
  /** Failures (`⚠️ …` texts) per run, for the flow count. */
  warnings = 0;

  async post(conversation: Conversation, message: OutboundMessage): Promise<void> {
    const user = conversation.user;
    let kind: keyof Seen;
    let value: string;
    if (message.kind === 'form') {
      kind = 'form';
      value = message.view.id;
    } else if (message.kind === 'text') {
      kind = 'text';
      value = message.text;
      if (value.startsWith('⚠️')) this.warnings += 1;
    } else return;
    const w = this.waiting.get(user);
    if (w?.kind === kind) {
      this.waiting.delete(user);
      w.resolve(value);
      return;
    }
    const s = this.seen.get(user) ?? {};
    s[kind] = value;
    this.seen.set(user, s);
  }

  /** The person's next form id or answer text; rejects after `timeoutMs`. */
  next(user: string, kind: keyof Seen, timeoutMs = 120_000): Promise<string> {
    const s = this.seen.get(user);
    const ready = s?.[kind];
    if (s && ready !== undefined) {
      delete s[kind];
      if (s.form === undefined && s.text === undefined) this.seen.delete(user);
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(user);
        reject(new Error(`no ${kind} for ${user} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(user, {
        kind,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      });
    });
  }
}

export interface BenchParley {
  agent: Agent;
  surface: BenchSurface;
  store: Store;
  close(): Promise<void>;
}

/** The real agent on Redis (key prefix unique to the run) with a {@link BenchSurface}. */
export async function startParley(
  redisUrl: string,
  servers: ServerConfig[],
  extra: Partial<AgentOptions> = {},
): Promise<BenchParley> {
  const store = createStore({
    redisUrl,
    prefix: `parley-bench:${process.pid}:${Date.now()}:`,
    logger: silentLogger(),
  });
  const surface = new BenchSurface();
  const agent = new Agent({ store, servers, logger: silentLogger(), ...extra });
  agent.attach(surface);
  await agent.start();
  return {
    agent,
    surface,
    store,
    close: async () => {
      await agent.stop();
      await store.close();
    },
  };
}

/** The person `user` in a conversation of their own (`channel`: another one of theirs). */
export function person(user: string, channel = `D-${user}`): Conversation {
  return { platform: 'bench', workspace: 'W', channel, user };
}

/**
 * Runs `work(i, lane)` for i in 0..n-1 in `limit` lanes, one at a time per lane (so a lane can be
 * one person); resolves with the failures.
 */
export async function inBatches(
  n: number,
  limit: number,
  work: (i: number, lane: number) => Promise<void>,
): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const run = async (lane: number) => {
    while (next < n) {
      const i = next++;
      await work(i, lane).catch((err: unknown) =>
        failures.push(err instanceof Error ? err.message : String(err)),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, (_, lane) => run(lane)));
  return failures;
}

/** Collects garbage twice (needs --expose-gc) and settles, so memory figures are what is held. */
export async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    gc?.();
  }
}

export function machine(): string {
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load average ${load}`;
}

export const mb = (bytes: number) => bytes / 1024 / 1024;
