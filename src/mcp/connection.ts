/**
 * One live MCP client connection for one (person, server). It negotiates the modern era when the
 * server offers it, declares only what Parley renders (form + URL elicitation, sampling), runs
 * MRTR in manual mode so input rounds can be persisted and resumed by any process, and routes
 * server-initiated requests (legacy era) to the conversation whose call is in flight.
 */
import {
  type CallToolResult,
  Client,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
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
  /** A server-initiated elicitation (legacy era) for the call in flight. */
  elicit(ctx: CallContext, params: ElicitRequest['params'], signal: AbortSignal): Promise<ElicitResult>;
  /** A server-initiated sampling request (legacy era). */
  sample(ctx: CallContext, params: CreateMessageRequest['params']): Promise<CreateMessageResult>;
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

  get inFlight(): number {
    return this.active.length;
  }

  async connect(): Promise<void> {
    const { server, hooks, logger } = this.options;
    const client = new Client(
      { name: 'parley', version: '0.1.0' },
      {
        capabilities: { elicitation: { form: {}, url: {} }, sampling: {} },
        versionNegotiation: { mode: server.era === 'legacy' ? 'legacy' : 'auto' },
        inputRequired: { autoFulfill: false },
      },
    );
    client.setRequestHandler('elicitation/create', async (request, ctx) => {
      const call = this.currentCall();
      if (!call) return { action: 'decline' };
      const signal =
        (ctx as { mcpReq?: { signal?: AbortSignal } }).mcpReq?.signal ?? new AbortController().signal;
      return hooks.elicit(call, request.params, signal);
    });
    client.setRequestHandler('sampling/createMessage', async (request) => {
      const call = this.currentCall();
      if (!call) throw new Error('No call in flight for this sampling request');
      return hooks.sample(call, request.params);
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
            // Parley's providers check the issuer themselves, forgiving a trailing `/` either way
            // (src/auth/issuer.ts); the SDK's check forgives it one way only.
            ...(this.options.authProvider && {
              authProvider: this.options.authProvider,
              skipIssuerMetadataValidation: true,
            }),
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
  }

  async listTools(): Promise<Tool[]> {
    if (this.tools) return this.tools;
    const client = this.requireClient();
    const result = await client.listTools();
    this.tools = result.tools;
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

  private currentCall(): CallContext | undefined {
    // Server requests don't say which of our calls they belong to; the latest call in flight on
    // this (per-person) connection is the one waiting, and concurrent calls per person are rare.
    return this.active[this.active.length - 1];
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
