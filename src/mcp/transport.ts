/**
 * Building the transport to one MCP server: Streamable HTTP for a `url`, a child process for a
 * `command`. Two rules live here because they are about the process, not the protocol:
 * - A spawned server gets only the SDK's default safe environment (PATH, HOME, USER, SHELL, TERM,
 *   LOGNAME — `getDefaultEnvironment()`) plus the `env` its config names. Parley's own secrets
 *   (PARLEY_SECRET, OPENAI_API_KEY, SLACK_BOT_TOKEN…) never reach it unless the config passes one
 *   on by name (`"env": {"TOKEN": "${MY_TOKEN}"}`, resolved once when the config is loaded).
 * - Its stderr is kept: each line is logged at debug, the last lines are held in a ring, and a
 *   server that dies while starting is explained to the person by its last line (a Python import
 *   error would otherwise surface as "Connection closed").
 */
import type { OAuthClientProvider, Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { noClientRegistrationError } from '../auth/sign-in-errors.js';
import type { ServerConfig } from '../config.js';
import { describeError, isParleyError, ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { mcpFetch } from './http-fetch.js';
import { McpHttpTransport } from './sse.js';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** How many stderr lines a stdio server keeps for its start-up failure message. */
export const STDERR_TAIL_LINES = 20;
/** How long a failed start waits for the process' stderr to end (it is normally already over). */
const STDERR_SETTLE_MS = 500;
/** Longer stderr lines are cut: one runaway line must not hold megabytes. */
const MAX_LINE_CHARS = 500;

/** The last lines a process wrote to stderr, in order, at most `capacity` of them. */
export class StderrTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly capacity = STDERR_TAIL_LINES) {}

  /** Adds a chunk; returns the complete lines it finished (for logging). */
  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = (parts.pop() ?? '').slice(0, MAX_LINE_CHARS * 4);
    const done = parts.map((l) => l.trimEnd().slice(0, MAX_LINE_CHARS)).filter((l) => l.trim() !== '');
    for (const line of done) this.add(line);
    return done;
  }

  /** Kept lines, oldest first, including an unterminated last line. */
  snapshot(): string[] {
    const rest = this.partial.trim() === '' ? [] : [this.partial.trimEnd().slice(0, MAX_LINE_CHARS)];
    return [...this.lines, ...rest];
  }

  /** The last non-empty line, or undefined when the process wrote nothing. */
  last(): string | undefined {
    return this.snapshot().at(-1)?.trim();
  }

  private add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
  }
}

export interface McpTransport {
  transport: Transport;
  /**
   * The error to raise when `client.connect` failed: for a stdio server that wrote to stderr, a
   * `mcp_unreachable` ParleyError whose user message ends with its last stderr line (the whole
   * kept tail goes in the detail, for the log); otherwise `err` unchanged.
   */
  startFailure(err: unknown): Promise<unknown>;
}

export interface CreateTransportOptions {
  logger: Logger;
  authProvider?: OAuthClientProvider | undefined;
  /**
   * Open the standalone SSE stream, the GET on the endpoint through which a 2025-11-25 server
   * can send what belongs to no request (a client MAY open it: MCP 2025-11-25 §transports).
   * Default true. Each open stream holds ~50 KB in this process for as long as the connection
   * lives, so the pool opens it only where something listens (`list_changed`).
   */
  listen?: boolean;
}

/** The transport for `server`, not yet started (`client.connect` starts it). */
export function createMcpTransport(server: ServerConfig, options: CreateTransportOptions): McpTransport {
  if ('url' in server) {
    return {
      transport: new McpHttpTransport(new URL(server.url), {
        fetch:
          options.listen === false
            ? withoutListening(server.url, mcpFetch(server.url))
            : mcpFetch(server.url),
        ...(server.auth.type === 'headers' && { requestInit: { headers: server.auth.headers } }),
        // Parley's providers check the issuer themselves, forgiving a trailing `/` either way
        // (src/auth/issuer.ts); the SDK's check forgives it one way only.
        ...(options.authProvider && {
          authProvider: options.authProvider,
          skipIssuerMetadataValidation: true,
        }),
      }),
      // A tool call is where most people first meet a server that can't register Parley.
      startFailure: async (err) =>
        (options.authProvider &&
          noClientRegistrationError(err, server, String(options.authProvider.redirectUrl ?? ''))) ??
        err,
    };
  }
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args,
    // Only what the config names; the SDK adds its default safe variables (PATH, HOME…) itself.
    // Never spread Parley's own environment here: it holds tokens and keys (issue 10 §6).
    env: server.env,
    ...(server.cwd !== undefined && { cwd: server.cwd }),
    stderr: 'pipe',
  });
  const tail = new StderrTail();
  const log = options.logger.child({ server: server.name, stream: 'stderr' });
  // The SDK hands out the stream before start(), so nothing the process writes early is lost.
  const stderr = transport.stderr;
  stderr?.on('data', (chunk: Buffer | string) => {
    for (const line of tail.push(chunk.toString())) log.debug({ line }, 'MCP server stderr');
  });
  // stderr ends when the process has gone: only then is its last line the reason it failed.
  const ended = new Promise<boolean>((resolve) => stderr?.once('end', () => resolve(true)));
  return {
    transport,
    startFailure: async (err) => {
      if (isParleyError(err)) return err;
      // The pipe may deliver its end just after the process' close reached the client.
      const gone = await Promise.race([ended, delay(STDERR_SETTLE_MS).then(() => false)]);
      const last = tail.last();
      if (!gone || !last) return err;
      const lines = tail.snapshot();
      log.warn({ stderr: lines, err: describeError(err) }, 'MCP server failed to start');
      return new ParleyError(
        'mcp_unreachable',
        `The MCP server "${server.title ?? server.name}" failed to start: ${last}`,
        { cause: err, detail: `${describeError(err)}; stderr: ${lines.join(' | ')}` },
      );
    },
  };
}

/**
 * A `fetch` that declines the standalone SSE stream (a GET on the endpoint asking for
 * `text/event-stream`) as a server without one does, with 405 — which the SDK takes as "no
 * stream" — and passes every other request to `base`.
 */
function withoutListening(endpoint: string, base: typeof fetch): typeof fetch {
  const href = new URL(endpoint).href;
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const accept = new Headers(init?.headers).get('accept') ?? '';
    if ((init?.method ?? 'GET') === 'GET' && url === href && accept.includes('text/event-stream'))
      return Promise.resolve(new Response(null, { status: 405, statusText: 'Not listening' }));
    return base(input, init);
  };
}
