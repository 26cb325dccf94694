/**
 * One live MCP client connection for one (person, server). It negotiates the modern era when the
 * server offers it, declares only what Parley renders (form + URL elicitation, sampling), runs
 * MRTR in manual mode so input rounds can be persisted and resumed by any process, and routes
 * server-initiated requests (legacy era) to the conversation whose call is in flight
 * (`server-requests.ts`).
 */
import {
  type CallToolResult,
  Client,
  type GetPromptResult,
  isInputRequiredResult,
  type OAuthClientProvider,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  specTypeSchemas,
  type Tool,
  withInputRequired,
} from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config.js';
import type { Conversation } from '../conversation.js';
import { describeError, ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { metrics, secondsSince, type ToolOutcome } from '../observability/metrics.js';
import { traceContextFields, withSpan } from '../observability/tracing.js';
import { ActiveCall, MAX_TIMER_MS } from './call.js';
import { classifyFailure } from './failures.js';
import { ownerOf, readAsMeant, routeServerRequests } from './server-requests.js';
import { createMcpTransport } from './transport.js';

export interface CallContext {
  conversation: Conversation;
  server: string;
  tool: string;
  /**
   * The call's `notifications/progress` (a progressToken is sent when set); called in order, must
   * not throw or block.
   */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

export interface ConnectionHooks {
  /**
   * A server request (2025-11-25 era: elicitation, sampling) of the call `ctx`; resolves with the
   * request's result. Throwing answers the server with an error.
   */
  request(
    ctx: CallContext,
    request: { method: string; params?: Record<string, unknown> },
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
  /** `notifications/elicitation/complete` from the server (ids are unique per elicitation). */
  elicitationComplete(elicitationId: string): void;
}

export type InputRequestMap = Record<string, { method: string; params?: Record<string, unknown> }>;

export type CallOutcome =
  | { kind: 'result'; result: CallToolResult }
  | { kind: 'input_required'; inputRequests: InputRequestMap; requestState?: string };

export interface McpConnectionOptions {
  server: ServerConfig;
  identity: string;
  hooks: ConnectionHooks;
  /** Declare sampling: only when Parley has a language model to answer it. */
  sampling: boolean;
  /** Speak only the 2025-11-25 era (configured, or learned: the server needs a back-channel). */
  legacy?: boolean;
  requestTimeoutMs: number;
  logger: Logger;
  authProvider?: OAuthClientProvider;
  /**
   * Called on `notifications/tools/list_changed`. Set on one connection per cached tool list: on
   * a 2026-07-28 connection it opens a `subscriptions/listen` stream, which the others needn't.
   */
  onToolsChanged?: () => void;
}

/** Connect (initialize) time limit when the server config names none (ms). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

export class McpConnection {
  readonly server: ServerConfig;
  readonly identity: string;
  private client: Client | undefined;
  private readonly active: ActiveCall[] = [];
  /** Tool listings out: the connection is in use while one runs. */
  private listing = 0;
  private closed = false;
  /** When its last use ended (the pool's least-recently-used order). */
  lastUsed = Date.now();
  /** When the server last answered anything on this connection. */
  private lastReply = Date.now();

  constructor(private readonly options: McpConnectionOptions) {
    this.server = options.server;
    this.identity = options.identity;
  }

  get isOpen(): boolean {
    return this.client !== undefined && !this.closed;
  }

  get era(): string | undefined {
    return this.client?.getProtocolEra?.() ?? undefined;
  }

  /** Milliseconds since the server last answered on this connection. */
  get idleMs(): number {
    return Date.now() - this.lastReply;
  }

  /** A `ping` round trip (short timeout): proves the connection still reaches the server. */
  async ping(): Promise<void> {
    await this.requireClient().ping({ timeout: 5_000 });
    this.lastReply = Date.now();
  }

  /** Calls and tool listings out on this connection. */
  get inFlight(): number {
    return this.active.length + this.listing;
  }

  async connect(): Promise<void> {
    const { server, hooks, logger } = this.options;
    const client = new Client(
      { name: 'parley', version: '0.1.0' },
      {
        // Only what Parley can serve: a server that sees a capability sends requests for it.
        capabilities: { elicitation: { form: {}, url: {} }, ...(this.options.sampling && { sampling: {} }) },
        versionNegotiation: { mode: server.era === 'legacy' || this.options.legacy ? 'legacy' : 'auto' },
        inputRequired: { autoFulfill: false },
        ...(this.options.onToolsChanged && {
          listChanged: {
            tools: { autoRefresh: false, debounceMs: 0, onChanged: () => this.options.onToolsChanged?.() },
          },
        }),
      },
    );
    routeServerRequests(client, {
      hooks,
      sampling: this.options.sampling,
      owner: () => ownerOf(this.active, logger, server.name),
    });
    client.onclose = () => {
      this.closed = true;
      this.endCalls('the connection closed');
    };
    client.onerror = (err) => {
      logger.debug({ server: server.name, err: describeError(err) }, 'MCP transport error');
      // The SDK gave up resuming a stream. If the server is gone too, calls waiting on this
      // connection will never hear back: end them now rather than when their clock runs out.
      if (/Maximum reconnection attempts/i.test(String((err as Error)?.message ?? err)))
        void this.checkAlive();
    };

    const { transport, startFailure } = createMcpTransport(server, {
      logger,
      authProvider: this.options.authProvider,
      // Only the connection that watches the tool list listens outside its requests: the others
      // hear everything they need on their requests' own streams (see CreateTransportOptions).
      listen: this.options.onToolsChanged !== undefined,
    });
    try {
      await client.connect(transport, { timeout: server.timeouts?.connectMs ?? DEFAULT_CONNECT_TIMEOUT_MS });
    } catch (err) {
      // Asked before close(): closing ends the process, and only a process that died on its own
      // is explained by its stderr.
      const failure = await startFailure(err);
      await client.close().catch(() => undefined);
      throw failure;
    }
    readAsMeant(transport);
    this.client = client;
    this.closed = false;
    this.lastReply = Date.now();
  }

  /**
   * Lists the server's tools (every page), each request within `timeoutMs` (default: the SDK's).
   * Not cached here: the pool caches per server.
   */
  async listTools(timeoutMs?: number): Promise<Tool[]> {
    const client = this.requireClient();
    this.listing += 1;
    try {
      const result = await withSpan('mcp.tools/list', { 'mcp.server': this.server.name }, () => {
        const meta = traceContextFields();
        return client.listTools(
          Object.keys(meta).length > 0 ? { _meta: meta } : undefined,
          timeoutMs === undefined ? undefined : { timeout: timeoutMs },
        );
      });
      this.lastReply = Date.now();
      return result.tools;
    } finally {
      this.listing -= 1;
    }
  }

  /** The server's `instructions` from initialize (MCP 2025-11-25 §lifecycle), if any. */
  get instructions(): string | undefined {
    return this.client?.getInstructions() ?? undefined;
  }

  /** Whether the server declared a capability (`prompts`, `resources`) at initialize. */
  offers(capability: 'prompts' | 'resources'): boolean {
    return Boolean(this.client?.getServerCapabilities()?.[capability]);
  }

  /** Every prompt the server offers (all pages, at most 10). */
  async listPrompts(): Promise<Prompt[]> {
    const client = this.requireClient();
    const out: Prompt[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await client.listPrompts(cursor ? { cursor } : undefined);
      out.push(...r.prompts);
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    this.lastReply = Date.now();
    return out;
  }

  async getPrompt(name: string, args: Record<string, string>): Promise<GetPromptResult> {
    const result = await this.requireClient().getPrompt({ name, arguments: args });
    this.lastReply = Date.now();
    return result;
  }

  /** The server's resources (all pages, at most 10). */
  async listResources(): Promise<Resource[]> {
    const client = this.requireClient();
    const out: Resource[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await client.listResources(cursor ? { cursor } : undefined);
      out.push(...r.resources);
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    this.lastReply = Date.now();
    return out;
  }

  async readResource(uri: string): Promise<ReadResourceResult> {
    const result = await this.requireClient().readResource({ uri });
    this.lastReply = Date.now();
    return result;
  }

  /**
   * Runs a tool call; an `input_required` answer is returned, not fulfilled. The call may take
   * `requestTimeoutMs` of the server's time; time spent waiting for a person (a server request
   * of this call) doesn't count. Ends at once when the connection is found dead.
   */
  callTool(
    ctx: CallContext,
    name: string,
    args: Record<string, unknown>,
    resume?: { inputResponses: Record<string, unknown>; requestState?: string | undefined },
  ): Promise<CallOutcome> {
    // An `mcp.tools/call` span whose context goes to the server in `_meta`, counted in
    // `parley_tool_calls_total` by outcome.
    return withSpan('mcp.tools/call', { 'mcp.server': this.server.name, 'mcp.tool': name }, async (span) => {
      const started = performance.now();
      let outcome: ToolOutcome = 'failed';
      try {
        const result = await this.sendCall(ctx, name, args, resume);
        outcome =
          result.kind === 'input_required' ? 'input_required' : result.result.isError ? 'error' : 'ok';
        return result;
      } finally {
        span.setAttribute('mcp.outcome', outcome);
        metrics.toolCall(this.server.name, name, outcome, secondsSince(started));
      }
    });
  }

  private async sendCall(
    ctx: CallContext,
    name: string,
    args: Record<string, unknown>,
    resume?: { inputResponses: Record<string, unknown>; requestState?: string | undefined },
  ): Promise<CallOutcome> {
    const client = this.requireClient();
    const call = new ActiveCall(ctx, this.options.requestTimeoutMs);
    this.active.push(call);
    try {
      const params: Record<string, unknown> = { name, arguments: args };
      if (resume) {
        params.inputResponses = resume.inputResponses;
        if (resume.requestState !== undefined) params.requestState = resume.requestState;
      }
      const meta = traceContextFields();
      if (Object.keys(meta).length > 0) params._meta = meta;
      const result = await client.request(
        { method: 'tools/call', params } as Parameters<Client['request']>[0],
        withInputRequired(specTypeSchemas.CallToolResult),
        // The call's own clock (ActiveCall) replaces the SDK's, which can't pause for a person.
        {
          timeout: MAX_TIMER_MS,
          signal: call.ended.signal,
          allowInputRequired: true,
          // The SDK sends `_meta.progressToken` and routes the call's progress notifications here.
          ...(ctx.onProgress && { onprogress: ctx.onProgress }),
        },
      );
      this.lastReply = Date.now();
      if (isInputRequiredResult(result)) {
        const r = result as unknown as { inputRequests?: InputRequestMap; requestState?: string };
        return {
          kind: 'input_required',
          inputRequests: r.inputRequests ?? {},
          ...(r.requestState !== undefined && { requestState: r.requestState }),
        };
      }
      return { kind: 'result', result: result as CallToolResult };
    } catch (err) {
      const reason: unknown = call.ended.signal.reason;
      throw reason instanceof Error ? reason : err;
    } finally {
      // What waited on the call's behalf (an open form) is closed before the call's outcome is
      // reported, so the person reads the two in order.
      call.finish();
      await call.settled();
      const i = this.active.lastIndexOf(call);
      if (i >= 0) this.active.splice(i, 1);
      this.lastUsed = Date.now();
    }
  }

  /** Ends every call in flight (their waiting forms close with them). */
  private endCalls(why: string): void {
    for (const call of this.active)
      call.end(
        new Error(`Connection closed: ${why} while ${call.ctx.tool} was running on ${this.server.name}`),
      );
  }

  private async checkAlive(): Promise<void> {
    if (this.active.length === 0) return;
    try {
      await this.ping();
    } catch (err) {
      if (classifyFailure(err) === 'other') return;
      this.closed = true;
      this.endCalls('the server went away');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }

  /** True when server requests can arrive during a call, so calls must not share the connection. */
  get exclusive(): boolean {
    return this.era !== 'modern';
  }

  private requireClient(): Client {
    if (!this.client || this.closed) {
      throw new ParleyError(
        'mcp_unreachable',
        `The connection to ${this.server.name} was closed. Please try again.`,
      );
    }
    return this.client;
  }
}
