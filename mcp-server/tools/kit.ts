/**
 * What every group of demo tools shares: the era an instance serves, the server-wide state, the
 * result shapes, and the two era-aware helpers (`askForm`, `readState`) a tool uses to ask a form
 * or read what earlier rounds proved.
 */
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type RequestOptions,
  type RequestStateCodec,
  SdkError,
  SdkErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { CalendarService } from '../calendar.js';
import { invalidField, type RequestedSchema } from '../forms.js';
import type { TicketStore } from '../tickets.js';

/** 2025-11-25 sessions (`legacy`) or 2026-07-28 stateless requests (`modern`). */
export type Era = 'legacy' | 'modern';

/** How long a legacy handler waits for a person to answer a form: people are slower than 60 s. */
export const HUMAN_TIMEOUT_MS = 10 * 60_000;

/** Upper bound on what `summarize_tickets` lets the client's model write. */
export const SUMMARY_MAX_TOKENS = 300;

/** What a modern multi-round flow carries between rounds; signed, bound to the caller. */
export type FlowState =
  | { tool: 'book_appointment_v2'; step: 'slot'; name: string }
  | { tool: 'book_appointment_v2'; step: 'confirm'; name: string; date: string; slot: string }
  | { tool: 'connect_calendar'; elicitationId: string }
  | { tool: 'calendar_events'; elicitationId: string };

/** The state every instance of one running server shares. */
export interface DemoServerDeps {
  tickets: TicketStore;
  calendar: CalendarService;
  stateCodec: RequestStateCodec<FlowState>;
  logger: Logger;
}

export type ToolResult = CallToolResult | InputRequiredResult;

/** A person's answer to one form, from either era. */
export interface FormAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

/**
 * A form either got an answer, or the tool returns `result` now: its error result, or (modern) the
 * `input_required` round that asks the form.
 */
export type Asked<R extends ToolResult = CallToolResult> =
  | { ok: true; answer: FormAnswer }
  | { ok: false; result: R };

/** One server instance's tools' shared view: its server, era, state and era-aware helpers. */
export interface ToolKit {
  server: McpServer;
  era: Era;
  deps: DemoServerDeps;
  /**
   * Asks one form in this instance's era: legacy awaits the answer inline while the call stays
   * open; modern reads it from the retry's `inputResponses[key]`, or returns the round that asks.
   */
  askForm(
    ctx: ServerContext,
    key: string,
    message: string,
    requestedSchema: RequestedSchema,
  ): Promise<Asked<ToolResult>>;
  /** The verified `requestState` of a modern round, if it was minted for `tool`. */
  readState<T extends FlowState['tool']>(
    ctx: ServerContext,
    tool: T,
  ): Extract<FlowState, { tool: T }> | undefined;
}

/** The kit for one server instance of one era. */
export function createToolKit(server: McpServer, era: Era, deps: DemoServerDeps): ToolKit {
  return {
    server,
    era,
    deps,
    async askForm(ctx, key, message, requestedSchema) {
      if (era === 'legacy') return askLegacy(ctx, message, requestedSchema);
      const view = inputResponse(ctx.mcpReq.inputResponses, key);
      if (view.kind === 'elicit') return { ok: true, answer: view };
      if (!clientCan(ctx, server, 'form')) return { ok: false, result: noFormSupport() };
      return {
        ok: false,
        result: inputRequired({
          inputRequests: { [key]: inputRequired.elicit({ message, requestedSchema }) },
        }),
      };
    },
    readState<T extends FlowState['tool']>(ctx: ServerContext, tool: T) {
      const state = ctx.mcpReq.requestState<FlowState>();
      // A state minted for another tool is ignored rather than trusted.
      return state !== undefined && state.tool === tool
        ? (state as Extract<FlowState, { tool: T }>)
        : undefined;
    },
  };
}

export const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
export const failure = (value: string): CallToolResult => ({
  content: [{ type: 'text', text: value }],
  isError: true,
});
export const refusal = (action: 'decline' | 'cancel'): string =>
  action === 'decline' ? 'declined' : 'cancelled';

/** Legacy only: one form, awaited inline. A failure comes back as the tool's error result. */
export async function askLegacy(
  ctx: ServerContext,
  message: string,
  requestedSchema: RequestedSchema,
): Promise<Asked> {
  try {
    const result = await ctx.mcpReq.elicitInput({ mode: 'form', message, requestedSchema }, humanWait(ctx));
    return { ok: true, answer: { action: result.action, content: result.content } };
  } catch (err) {
    return { ok: false, result: elicitationFailed(err, Object.keys(requestedSchema.properties)) };
  }
}

export function elicitationFailed(err: unknown, fields: string[] = []): CallToolResult {
  if (err instanceof SdkError && err.code === SdkErrorCode.CapabilityNotSupported) {
    return failure(`This tool needs a client that can ask you things: ${err.message}`);
  }
  // On legacy sessions the SDK checks an accepted answer against the form's schema before the
  // handler sees it; its message names the JSON path, which is how the field is found here.
  if (err instanceof ProtocolError && err.code === ProtocolErrorCode.InvalidParams) {
    const field = fields.find((f) => err.message.includes(`/${f}`));
    return failure(
      field
        ? `The answer for "${field}" is invalid: ${err.message}`
        : `The answer does not fit the form: ${err.message}`,
    );
  }
  throw err;
}

export function invalidAnswer(error: z.ZodError): CallToolResult {
  const { field, problem } = invalidField(error);
  return failure(`The answer for "${field}" is invalid: ${problem}.`);
}

export function noFormSupport(): CallToolResult {
  return failure('This tool needs a client that can show forms (form elicitation), and yours cannot.');
}

export function noUrlSupport(): CallToolResult {
  return failure(
    'This tool needs a client that can open a consent page (URL elicitation), and yours cannot.',
  );
}

export function signInNeeded(tool: string): CallToolResult {
  return failure(`${tool} needs you to sign in with OAuth, which this connection does not carry.`);
}

export function blankToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

const capabilitiesSchema = z.object({
  elicitation: z
    .object({
      form: z.record(z.string(), z.unknown()).optional(),
      url: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  sampling: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Whether the calling client declared a capability. Modern requests carry it in their `_meta`
 * envelope; legacy sessions declared it at `initialize`. An empty `elicitation: {}` means form only.
 */
export function clientCan(ctx: ServerContext, server: McpServer, what: 'form' | 'url' | 'sampling'): boolean {
  const fromEnvelope = ctx.mcpReq.envelope
    ? (ctx.mcpReq.envelope as Record<string, unknown>)[CLIENT_CAPABILITIES_META_KEY]
    : undefined;
  const parsed = capabilitiesSchema.safeParse(fromEnvelope ?? server.server.getClientCapabilities() ?? {});
  if (!parsed.success) return false;
  const caps = parsed.data;
  if (what === 'sampling') return caps.sampling !== undefined;
  if (!caps.elicitation) return false;
  if (what === 'url') return caps.elicitation.url !== undefined;
  return caps.elicitation.form !== undefined || caps.elicitation.url === undefined;
}

/**
 * Options for a legacy server→client request made inside a tool call. The SDK's `ctx.mcpReq`
 * helpers do not tie the request to the call by themselves, so without `relatedRequestId` it would
 * go out on the session's standalone GET stream, which a client need not open; tied to the call it
 * travels on the call's own SSE stream (and is stored for resumption there). People answer slowly,
 * hence the long timeout; cancelling the call cancels the question.
 */
export function humanWait(ctx: ServerContext): RequestOptions {
  return { timeout: HUMAN_TIMEOUT_MS, relatedRequestId: ctx.mcpReq.id, signal: ctx.mcpReq.signal };
}
