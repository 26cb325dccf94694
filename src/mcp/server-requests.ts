/**
 * What a server asks of Parley on a connection, the other way from its calls: server requests
 * (2025-11-25 era: elicitation, sampling), each answered for the call it belongs to or refused,
 * and the forms they carry read as their authors meant. Apart from `connection.ts`, which opens
 * the connection and sends the calls.
 */
import type { Client, CreateMessageResult, ElicitResult, Transport } from '@modelcontextprotocol/client';
import { readFormSchemaAsMeant } from '../interactions/schema.js';
import type { Logger } from '../logger.js';
import type { ActiveCall } from './call.js';
import type { ConnectionHooks } from './connection.js';

/**
 * Reads what servers send as their authors meant, before the SDK's strict validation sees it:
 * a form the SDK would refuse as off-spec (FastMCP's multi-select, `items.enum` without
 * `items.type`) would otherwise come back to the server as a validation dump, which the server
 * shows the person as its tool's error. See `readFormSchemaAsMeant`.
 */
export function readAsMeant(transport: Transport): void {
  const deliver = transport.onmessage;
  if (!deliver) return;
  transport.onmessage = (message, extra) => {
    const m = message as { method?: unknown; params?: { requestedSchema?: unknown } };
    if (m.method === 'elicitation/create' && m.params?.requestedSchema)
      m.params.requestedSchema = readFormSchemaAsMeant(m.params.requestedSchema);
    deliver.call(transport, message, extra);
  };
}

export interface ServerRequestRouting {
  hooks: ConnectionHooks;
  /** Sampling was declared: its requests are answered too. */
  sampling: boolean;
  /** The call a server request belongs to, if one can be told (see {@link ownerOf}). */
  owner: () => ActiveCall | undefined;
}

/** Answers the server's requests on `client` for the call they belong to (see {@link ownerOf}). */
export function routeServerRequests(client: Client, routing: ServerRequestRouting): void {
  const { hooks } = routing;
  const signalOf = (ctx: unknown) =>
    (ctx as { mcpReq?: { signal?: AbortSignal } }).mcpReq?.signal ?? new AbortController().signal;
  // A server request is answered for its call: the call's clock stops while a person answers
  // (the form's own lifetime governs then), and the request ends when the call does.
  const forCall = async (call: ActiveCall, method: string, params: unknown, ctx: unknown) => {
    call.pause();
    try {
      const signal = AbortSignal.any([signalOf(ctx), call.ended.signal]);
      return await call.track(
        hooks.request(call.ctx, { method, params: params as Record<string, unknown> }, signal),
      );
    } finally {
      call.resume();
    }
  };
  client.setRequestHandler('elicitation/create', async (request, ctx) => {
    const call = routing.owner();
    if (!call) return { action: 'decline' };
    return (await forCall(call, 'elicitation/create', request.params, ctx)) as ElicitResult;
  });
  if (routing.sampling)
    client.setRequestHandler('sampling/createMessage', async (request, ctx) => {
      const call = routing.owner();
      if (!call) throw new Error('No call in flight for this sampling request');
      return (await forCall(call, 'sampling/createMessage', request.params, ctx)) as CreateMessageResult;
    });
  client.setNotificationHandler('notifications/elicitation/complete', (notification) => {
    hooks.elicitationComplete(notification.params.elicitationId);
  });
}

/**
 * The call a server request belongs to. Server requests don't name their call, so a connection
 * that can receive them (2025-11-25 era) is used by one call at a time (the pool's checkout):
 * the one call in flight is the owner. With none — or, against that rule, several — the request
 * is refused rather than attributed to a guess.
 */
export function ownerOf(
  active: readonly ActiveCall[],
  logger: Logger,
  server: string,
): ActiveCall | undefined {
  if (active.length === 1) return active[0];
  if (active.length > 1) logger.warn({ server }, 'server request with several calls in flight; refused');
  return undefined;
}
