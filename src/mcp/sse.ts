/**
 * Parley's Streamable HTTP client transport: the SDK's, reading its response streams (SSE) with
 * one reader and the SDK's own SSE parser (`eventsource-parser`'s `createParser`), instead of
 * piping each through two web TransformStreams (`TextDecoderStream`, `EventSourceParserStream`).
 *
 * Why (measured, issue 12 §2): a 2025-11-25 call that waits for a person's form keeps its
 * response stream open, and the two TransformStreams with their pipes hold about 25 KB of heap
 * per open stream — a quarter of what a thousand open forms cost. Everything else is the SDK's:
 * the events are read, resumed (`Last-Event-ID`, the server's `retry`) and handed on exactly as
 * its `_handleSseStream` does, which this replaces on a subclass. That method is private to the
 * SDK: {@link leanSseInstalled} says whether this SDK version still has it (a test checks), and
 * when it doesn't, the SDK's own reading stays — slower on memory, never broken.
 */
import {
  isJSONRPCErrorResponse,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  parseJSONRPCMessage,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { createParser } from 'eventsource-parser';
import { DependantPruner } from './abort-dependants.js';

/** What the SDK's reconnection takes (its `StartSSEOptions`, as `_handleSseStream` receives it). */
interface StreamOptions {
  onresumptiontoken?: (token: string) => void;
  replayMessageId?: string | number;
  requestSignal?: AbortSignal;
  onRequestStreamEnd?: () => void;
}

/** The SDK transport's members the stream reader uses (private in its typings). */
interface TransportInternals {
  _abortController?: AbortController;
  _serverRetryMs?: number;
  _scheduleReconnection(options: StreamOptions & { resumptionToken?: string }, attempt: number): void;
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
}

/** The SDK's `_handleSseStream`, reading with one reader (see the file header). */
function handleSseStream(
  this: TransportInternals,
  stream: ReadableStream<Uint8Array> | null,
  options: StreamOptions,
  isReconnectable: boolean,
): void {
  if (!stream) {
    options.onRequestStreamEnd?.();
    return;
  }
  const { onresumptiontoken, replayMessageId, requestSignal, onRequestStreamEnd } = options;
  const intentional = () => this._abortController?.signal.aborted === true || requestSignal?.aborted === true;
  let lastEventId: string | undefined;
  let primed = false;
  let answered = false;
  const parser = createParser({
    onRetry: (ms) => {
      this._serverRetryMs = ms;
    },
    onEvent: (event) => {
      if (event.id) {
        lastEventId = event.id;
        primed = true;
        onresumptiontoken?.(event.id);
      }
      if (!event.data || (event.event && event.event !== 'message')) return;
      try {
        const message = parseJSONRPCMessage(JSON.parse(event.data));
        if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
          answered = true;
          if (replayMessageId !== undefined) message.id = replayMessageId;
        }
        this.onmessage?.(message);
      } catch (error) {
        this.onerror?.(error as Error);
      }
    },
  });
  const resumable = () =>
    (isReconnectable || primed) && !answered && this._abortController !== undefined && !intentional();
  const resume = () =>
    this._scheduleReconnection(
      { resumptionToken: lastEventId, onresumptiontoken, replayMessageId, requestSignal, onRequestStreamEnd },
      0,
    );
  const read = async () => {
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
      if (resumable()) resume();
      else if (!intentional()) onRequestStreamEnd?.();
    } catch (error) {
      if (intentional()) return;
      this.onerror?.(new Error(`SSE stream disconnected: ${String(error)}`));
      if (!resumable()) {
        onRequestStreamEnd?.();
        return;
      }
      try {
        resume();
      } catch (failed) {
        this.onerror?.(
          new Error(`Failed to reconnect: ${failed instanceof Error ? failed.message : String(failed)}`),
        );
        onRequestStreamEnd?.();
      }
    }
  };
  void read();
}

/**
 * The SDK's Streamable HTTP client transport with Parley's stream reader (see the file header),
 * whose long-lived signal is kept from piling up the dead signals each request derives from it
 * (see abort-dependants.ts).
 */
export class McpHttpTransport extends StreamableHTTPClientTransport {
  private readonly pruner = new DependantPruner();

  override async send(...args: Parameters<StreamableHTTPClientTransport['send']>): Promise<void> {
    try {
      return await super.send(...args);
    } finally {
      this.pruner.sent((this as unknown as TransportInternals)._abortController?.signal);
    }
  }
}

const sdk = StreamableHTTPClientTransport.prototype as unknown as Record<string, unknown>;

/** True when this SDK version has the stream reader Parley replaces, and it was replaced. */
export const leanSseInstalled =
  typeof sdk._handleSseStream === 'function' &&
  sdk._handleSseStream.length === 3 &&
  typeof sdk._scheduleReconnection === 'function';

if (leanSseInstalled)
  Object.defineProperty(McpHttpTransport.prototype, '_handleSseStream', {
    value: handleSseStream,
    writable: true,
    configurable: true,
  });
