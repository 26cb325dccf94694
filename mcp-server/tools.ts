/**
 * The demo MCP server itself: one factory, shared by the HTTP entry (both protocol eras) and stdio.
 *
 * The factory is told which era the instance serves. Interactive tools use the era's native idiom,
 * so the demo shows both: on a legacy (2025-11-25) session the handler awaits the answer inline
 * (`ctx.mcpReq.elicitInput`, `requestSampling`) while the tool call stays open; on a modern
 * (2026-07-28) request it returns `inputRequired(...)` and runs again when the client retries with
 * the answers, carrying what earlier rounds proved in a signed `requestState`.
 */
import { randomBytes } from 'node:crypto';
import { createRequestStateCodec, McpServer, type RequestStateCodec } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { CalendarService } from './calendar.js';
import { callerId } from './identity.js';
import { InMemoryTicketStore } from './tickets.js';
import { registerBookingTools } from './tools/booking.js';
import { registerCalendarTools } from './tools/calendar.js';
import { createToolKit, type DemoServerDeps, type Era, type FlowState } from './tools/kit.js';
import { registerPlainTools } from './tools/plain.js';
import { registerSamplingTools } from './tools/sampling.js';
import { registerSignedInTools } from './tools/signed-in.js';
import { registerTicketFormTools } from './tools/ticket-forms.js';

export type { DemoServerDeps, Era, FlowState } from './tools/kit.js';
export { HUMAN_TIMEOUT_MS, SUMMARY_MAX_TOKENS } from './tools/kit.js';

export const SERVER_INFO = { name: 'parley-demo', version: '0.1.0' } as const;

/** Builds one server instance for one era. Cheap: HTTP builds one per modern request. */
export function createDemoMcpServer(deps: DemoServerDeps, era: Era): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {} },
    instructions:
      'A demo server for Parley: tickets, forms, a booking wizard, a calendar behind a consent page, ' +
      'and tools that need OAuth sign-in.',
    // Tampered or expired state never reaches a handler: the SDK answers -32602 first.
    requestState: { verify: deps.stateCodec.verify },
  });
  const kit = createToolKit(server, era, deps);
  registerPlainTools(kit);
  registerTicketFormTools(kit);
  registerBookingTools(kit);
  registerCalendarTools(kit);
  registerSignedInTools(kit);
  registerSamplingTools(kit);
  return server;
}

/** How long a modern multi-round flow may take between rounds. */
export const FLOW_STATE_TTL_SECONDS = 15 * 60;

/**
 * Signs the state modern flows carry between rounds, bound to the caller so one user cannot
 * replay another's. Without a configured secret the key is random per process, which is fine
 * while one process serves every round of a flow.
 */
export function createFlowStateCodec(secret?: string): RequestStateCodec<FlowState> {
  if (secret !== undefined && Buffer.byteLength(secret, 'utf8') < 32) {
    throw new RangeError('The request-state secret must be at least 32 bytes long.');
  }
  return createRequestStateCodec<FlowState>({
    key: secret ?? randomBytes(32),
    ttlSeconds: FLOW_STATE_TTL_SECONDS,
    bind: (ctx) => callerId(ctx),
  });
}

export interface DemoServerDepsOptions {
  authIssuer: string;
  calendarWaitMs: number;
  stateSecret?: string;
  logger: Logger;
}

/** The state every instance of one running server shares: tickets, calendar, signing key. */
export function createDemoServerDeps(options: DemoServerDepsOptions): DemoServerDeps {
  return {
    tickets: new InMemoryTicketStore(),
    calendar: new CalendarService({
      issuer: options.authIssuer,
      waitMs: options.calendarWaitMs,
      logger: options.logger,
    }),
    stateCodec: createFlowStateCodec(options.stateSecret),
    logger: options.logger,
  };
}
