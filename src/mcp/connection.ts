/**
 * One live MCP client connection for one (person, server). It negotiates the modern era when the
 * server offers it, declares only what Parley renders (form + URL elicitation, sampling), runs
 * MRTR in manual mode so input rounds can be persisted and resumed by any process, and routes
 * server-initiated requests (legacy era) to the conversation whose call is in flight.
 */
import {
  type CallToolResult,
  Client,
  type CreateMessageResult,
  type ElicitResult,
  isInputRequiredResult,
  type OAuthClientProvider,
  StreamableHTTPClientTransport,
  specTypeSchemas,
  type Tool,
  withInputRequired,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { ServerConfig } from '../config.js';
import type { Conversation } from '../conversation.js';
import { describeError, ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface CallContext {
  conversation: Conversation;
  server: string;
  tool: string;
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
  requestTimeoutMs: number;
  logger: Logger;
  authProvider?: OAuthClientProvider;
}

export class McpConnection {
  readonly server: ServerConfig;
  readonly identity: string;
  private client: Client | undefined;
  private tools: Tool[] | undefined;
  private readonly active: CallContext[] = [];
  private closed = false;
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

  get inFlight(): number {
    return this.active.length;
  }

  async connect(): Promise<void> {
    const { server, hooks, logger } = this.options;
    const client = new Client(
      { name: 'parley', version: '0.1.0' },
      {
        // Only what Parley can serve: a server that sees a capability sends requests for it.
        capabilities: { elicitation: { form: {}, url: {} }, ...(this.options.sampling && { sampling: {} }) },
        versionNegotiation: { mode: server.era === 'legacy' ? 'legacy' : 'auto' },
        inputRequired: { autoFulfill: false },
      },
    );
    const signalOf = (ctx: unknown) =>
      (ctx as { mcpReq?: { signal?: AbortSignal } }).mcpReq?.signal ?? new AbortController().signal;
    client.setRequestHandler('elicitation/create', async (request, ctx) => {
      const call = this.owner();
      if (!call) return { action: 'decline' };
      const params = request.params as unknown as Record<string, unknown>;
      return (await hooks.request(
        call,
        { method: 'elicitation/create', params },
        signalOf(ctx),
      )) as ElicitResult;
    });
    if (this.options.sampling)
      client.setRequestHandler('sampling/createMessage', async (request, ctx) => {
        const call = this.owner();
        if (!call) throw new Error('No call in flight for this sampling request');
        const params = request.params as unknown as Record<string, unknown>;
        const result = await hooks.request(call, { method: 'sampling/createMessage', params }, signalOf(ctx));
        return result as CreateMessageResult;
      });
    client.setNotificationHandler('notifications/elicitation/complete', (notification) => {
      hooks.elicitationComplete(notification.params.elicitationId);
    });
    client.onclose = () => {
      this.closed = true;
    };
    client.onerror = (err) =>
      logger.debug({ server: server.name, err: describeError(err) }, 'MCP transport error');

    const transport =
      'url' in server
        ? new StreamableHTTPClientTransport(new URL(server.url), {
            ...(server.auth.type === 'headers' && { requestInit: { headers: server.auth.headers } }),
            ...(this.options.authProvider && { authProvider: this.options.authProvider }),
          })
        : new StdioClientTransport({
            command: server.command,
            args: server.args,
            env: { ...(process.env as Record<string, string>), ...server.env },
            ...(server.cwd !== undefined && { cwd: server.cwd }),
            stderr: 'ignore',
          });
    try {
      await client.connect(transport, { timeout: 15_000 });
    } catch (err) {
      await client.close().catch(() => undefined);
      throw err;
    }
    this.client = client;
    this.closed = false;
    this.lastReply = Date.now();
  }

  async listTools(): Promise<Tool[]> {
    if (this.tools) return this.tools;
    const client = this.requireClient();
    const result = await client.listTools();
    this.tools = result.tools;
    this.lastReply = Date.now();
    return this.tools;
  }

  /** Runs a tool call; an `input_required` answer is returned, not fulfilled. */
  async callTool(
    ctx: CallContext,
    name: string,
    args: Record<string, unknown>,
    resume?: { inputResponses: Record<string, unknown>; requestState?: string | undefined },
  ): Promise<CallOutcome> {
    const client = this.requireClient();
    this.lastUsed = Date.now();
    this.active.push(ctx);
    try {
      const params: Record<string, unknown> = { name, arguments: args };
      if (resume) {
        params.inputResponses = resume.inputResponses;
        if (resume.requestState !== undefined) params.requestState = resume.requestState;
      }
      const result = await client.request(
        { method: 'tools/call', params } as Parameters<Client['request']>[0],
        withInputRequired(specTypeSchemas.CallToolResult),
        { timeout: this.options.requestTimeoutMs, allowInputRequired: true },
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
    } finally {
      const i = this.active.lastIndexOf(ctx);
      if (i >= 0) this.active.splice(i, 1);
      this.lastUsed = Date.now();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    this.tools = undefined;
    await client?.close().catch(() => undefined);
  }

  /**
   * The call a server request belongs to. Server requests don't name their call, so a connection
   * that can receive them (2025-11-25 era) is used by one call at a time (the pool's checkout):
   * the one call in flight is the owner. With none — or, against that rule, several — the request
   * is refused rather than attributed to a guess.
   */
  private owner(): CallContext | undefined {
    if (this.active.length === 1) return this.active[0];
    if (this.active.length > 1)
      this.options.logger.warn(
        { server: this.server.name },
        'server request with several calls in flight; refused',
      );
    return undefined;
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
