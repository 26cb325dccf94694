/**
 * Parley's Prometheus metrics (prom-client): one registry, a small typed API the core and the
 * adapters call at the points they own, and a scrape server on its own port.
 *
 * Every label value is bounded: platforms, outcomes and kinds come from fixed lists; server names
 * from the configured servers ({@link ParleyMetrics.setServers}); tool names are capped per server
 * (the first {@link MAX_TOOLS_PER_SERVER} distinct names, then "other"). Anything else becomes
 * "other", so a misbehaving server or a person's text can never grow the series count.
 *
 * The metrics are process-wide (module state), like prom-client's own default registry: the
 * instrumented code need not carry a handle. Several Parleys in one process (tests) share them.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Distinct tool names kept per server before the rest are counted as "other". */
export const MAX_TOOLS_PER_SERVER = 100;

const PLATFORMS = ['slack', 'discord', 'console'] as const;
const TURN_OUTCOMES = ['answered', 'failed', 'limited'] as const;
const TOOL_OUTCOMES = ['ok', 'error', 'input_required', 'failed'] as const;
const INTERACTION_KINDS = ['form', 'link', 'confirm'] as const;
const INTERACTION_OUTCOMES = [
  'submitted',
  'declined',
  'cancelled',
  'expired',
  'confirmed',
  'opened',
  'done',
] as const;
const SIGN_IN_OUTCOMES = ['started', 'completed', 'failed'] as const;
const LLM_OUTCOMES = ['ok', 'error'] as const;
const FEEDBACK_VALUES = ['good', 'bad'] as const;

export type TurnOutcome = (typeof TURN_OUTCOMES)[number];
export type ToolOutcome = (typeof TOOL_OUTCOMES)[number];
export type SignInMetricOutcome = (typeof SIGN_IN_OUTCOMES)[number];
export type LlmOutcome = (typeof LLM_OUTCOMES)[number];

/** Seconds; from a 5 ms ack to a tool that waits minutes for a person's form. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Seconds; Slack gives an ack 3 s, Discord an initial response 3 s. */
const ACK_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5];

function bounded<T extends string>(allowed: readonly T[], value: string): T | 'other' {
  return (allowed as readonly string[]).includes(value) ? (value as T) : 'other';
}

export class ParleyMetrics {
  readonly registry = new Registry();
  private servers = new Set<string>();
  private readonly tools = new Map<string, Set<string>>();
  private poolSize: () => number = () => 0;

  private readonly turns = new Counter({
    name: 'parley_turns_total',
    help: 'Conversation turns finished, by platform and outcome (answered, failed).',
    labelNames: ['platform', 'outcome'],
    registers: [this.registry],
  });
  private readonly toolCalls = new Counter({
    name: 'parley_tool_calls_total',
    help: 'MCP tools/call requests, by server, tool and outcome (ok, error: isError result, input_required: an MRTR round, failed: no result).',
    labelNames: ['server', 'tool', 'outcome'],
    registers: [this.registry],
  });
  private readonly toolSeconds = new Histogram({
    name: 'parley_tool_call_duration_seconds',
    help: 'Time from sending tools/call to its answer (server-initiated forms included), in seconds.',
    labelNames: ['server', 'tool', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly interactions = new Counter({
    name: 'parley_interactions_total',
    help: 'Forms, links and confirmations answered or expired, by kind and outcome.',
    labelNames: ['kind', 'outcome'],
    registers: [this.registry],
  });
  private readonly signIns = new Counter({
    name: 'parley_sign_ins_total',
    help: 'Sign-ins to MCP servers, by outcome (started, completed, failed).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly llmCalls = new Counter({
    name: 'parley_llm_calls_total',
    help: 'Language model requests, by outcome.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly llmSeconds = new Histogram({
    name: 'parley_llm_call_duration_seconds',
    help: 'Language model request latency, in seconds.',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly llmTokens = new Counter({
    name: 'parley_llm_tokens_total',
    help: 'Tokens the language model reported, by kind (prompt, completion).',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly connects = new Counter({
    name: 'parley_mcp_connects_total',
    help: 'MCP connections opened, by server and outcome.',
    labelNames: ['server', 'outcome'],
    registers: [this.registry],
  });
  private readonly storeErrors = new Counter({
    name: 'parley_store_errors_total',
    help: 'Store operations that failed (Redis unreachable, timeouts), by operation.',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  private readonly feedbacks = new Counter({
    name: 'parley_feedback_total',
    help: 'Feedback on final answers (👍 good, 👎 bad), by surface and value; one per person per answer.',
    labelNames: ['surface', 'value'],
    registers: [this.registry],
  });
  private readonly acks = new Histogram({
    name: 'parley_ack_duration_seconds',
    help: 'Time from receiving a Slack event or Discord interaction to acknowledging it, in seconds.',
    labelNames: ['platform'],
    buckets: ACK_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    const self = this;
    new Gauge({
      name: 'parley_mcp_connections',
      help: 'Open MCP connections in this process (one per person and server).',
      registers: [this.registry],
      collect() {
        this.set(self.poolSize());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The configured server names: the only values the `server` label takes (others: "other"). */
  setServers(names: string[]): void {
    this.servers = new Set(names);
  }

  /** Where the pool size gauge reads from (the agent's connection pool). */
  observePool(size: () => number): void {
    this.poolSize = size;
  }

  turn(platform: string, outcome: TurnOutcome): void {
    this.turns.inc({ platform: bounded(PLATFORMS, platform), outcome });
  }

  /** `seconds`: from sending tools/call to its answer. */
  toolCall(server: string, tool: string, outcome: ToolOutcome, seconds: number): void {
    const labels = { server: this.serverLabel(server), tool: this.toolLabel(server, tool), outcome };
    this.toolCalls.inc(labels);
    this.toolSeconds.observe(labels, seconds);
  }

  /** A pending interaction consumed: `kind` form/link/confirm, `outcome` as the core records it. */
  interaction(kind: string, outcome: string): void {
    this.interactions.inc({
      kind: bounded(INTERACTION_KINDS, kind),
      outcome: bounded(INTERACTION_OUTCOMES, outcome),
    });
  }

  /** A form's outcome (`kind` form). */
  form(outcome: string): void {
    this.interaction('form', outcome);
  }

  signIn(outcome: SignInMetricOutcome): void {
    this.signIns.inc({ outcome });
  }

  /** `tokens` as the model reported them (absent when it didn't). */
  llmCall(outcome: LlmOutcome, seconds: number, tokens?: { prompt?: number; completion?: number }): void {
    this.llmCalls.inc({ outcome });
    this.llmSeconds.observe({ outcome }, seconds);
    if (tokens?.prompt) this.llmTokens.inc({ kind: 'prompt' }, tokens.prompt);
    if (tokens?.completion) this.llmTokens.inc({ kind: 'completion' }, tokens.completion);
  }

  connect(server: string, ok: boolean): void {
    this.connects.inc({ server: this.serverLabel(server), outcome: ok ? 'ok' : 'failed' });
  }

  /** `operation`: the Store method that failed (get, set, take…). */
  storeError(operation: string): void {
    this.storeErrors.inc({ operation: /^[a-zA-Z]{1,20}$/.test(operation) ? operation : 'other' });
  }

  /** A person's first 👍 (`good`) or 👎 (`bad`) on an answer, on `surface` (the platform). */
  feedback(surface: string, value: string): void {
    this.feedbacks.inc({ surface: bounded(PLATFORMS, surface), value: bounded(FEEDBACK_VALUES, value) });
  }

  ack(platform: string, seconds: number): void {
    this.acks.observe({ platform: bounded(PLATFORMS, platform) }, seconds);
  }

  /** The exposition text (Prometheus text format 0.0.4) and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private serverLabel(server: string): string {
    return this.servers.has(server) ? server : 'other';
  }

  private toolLabel(server: string, tool: string): string {
    if (!this.servers.has(server) || !/^[A-Za-z0-9_.\-/]{1,128}$/.test(tool)) return 'other';
    let seen = this.tools.get(server);
    if (!seen) {
      seen = new Set();
      this.tools.set(server, seen);
    }
    if (seen.has(tool)) return tool;
    if (seen.size >= MAX_TOOLS_PER_SERVER) return 'other';
    seen.add(tool);
    return tool;
  }
}

/** The process's metrics. */
export const metrics = new ParleyMetrics();

/** Seconds since `start` (a `performance.now()` reading). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` on its own port, apart from Parley's public one (Slack's and Discord's
 * webhooks, OAuth callbacks). With `token`, a scrape must send `Authorization: Bearer <token>`
 * (401 otherwise) for when that port can't be kept private.
 */
export async function startMetricsServer(options: {
  port: number;
  host: string;
  token?: string | undefined;
  registry?: ParleyMetrics;
}): Promise<MetricsServer> {
  const source = options.registry ?? metrics;
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: scrape /metrics.\n');
      return;
    }
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res
          .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
          .end('Send Authorization: Bearer <METRICS_TOKEN>.\n');
        return;
      }
    }
    source.scrape().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : options.port);
    });
  });
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
