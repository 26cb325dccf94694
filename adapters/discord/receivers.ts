/**
 * Receivers: the two ways Discord's events reach Parley. They only move requests in and
 * initial responses out (like bolt-js's receivers) and know nothing of what an event means:
 * - the gateway: raw dispatches of a discord.js `Client` (mentions in guild channels, DMs, and
 *   interactions when no endpoint URL is configured); an interaction's initial response goes back
 *   over REST;
 * - the HTTP interactions endpoint on Parley's express server: Ed25519-signed POSTs whose initial
 *   response is the HTTP reply itself.
 * Both feed the same handlers with the same raw payloads.
 */
import {
  type APIInteraction,
  type APIInteractionResponse,
  type Client,
  GatewayDispatchEvents,
  type GatewayMessageCreateDispatchData,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
} from 'discord.js';
import express, { type Request, type Response } from 'express';
import { describeError, personSentence } from '../../src/errors.js';
import type { ParleyHttpServer } from '../../src/http.js';
import type { Logger } from '../../src/logger.js';
import type { Respond } from './inbound.js';
import type { DiscordRest } from './rest.js';
import { freshTimestamp, publicKeyFromHex, verifySignature } from './signature.js';

export const INTERACTIONS_PATH = '/discord/interactions';
/** Discord waits 3 s for the initial response; answer a little before, whatever happens. */
const RESPONSE_BUDGET_MS = 2_800;

/** Where receivers hand events; `track` follows each handler's work for shutdown and tests. */
export interface ReceiverTarget {
  /** False until the adapter has started (and after it stopped): events are refused then. */
  running: () => boolean;
  onMessage: (m: GatewayMessageCreateDispatchData) => Promise<void>;
  onInteraction: (i: APIInteraction, respond: Respond) => Promise<void>;
  /** True when this process is the first to take interaction `id` (gateway dedupe across processes). */
  claimInteraction: (id: string) => Promise<boolean>;
  track: (work: Promise<unknown>) => void;
}

/** Listens to the client's raw dispatches; interactions are answered through `rest`. */
export function listenToGateway(client: Client, rest: DiscordRest, target: ReceiverTarget): void {
  client.ws.on(GatewayDispatchEvents.MessageCreate, (data: GatewayMessageCreateDispatchData) => {
    if (target.running()) target.track(target.onMessage(data));
  });
  client.ws.on(GatewayDispatchEvents.InteractionCreate, (data: APIInteraction) => {
    if (!target.running()) return;
    // Several processes on one gateway shard each get every dispatch: the one that claims the
    // interaction id in the shared store handles it, the others drop it. (An HTTP interaction
    // reaches exactly one process, so the endpoint needs no claim.)
    // A store failure on the claim: the person is told the store's sentence privately and nothing
    // runs (once-only holds); Discord takes one initial response, so they read it once.
    const respond = (body: APIInteractionResponse) => rest.respond(data.id, data.token, body);
    target.track(
      target.claimInteraction(data.id).then(
        (first) => (first ? target.onInteraction(data, respond) : undefined),
        (err: unknown) => respond(unclaimed(err)),
      ),
    );
  });
}

/**
 * Mounts `POST /discord/interactions` (Discord's "Interactions Endpoint URL"): checks the
 * Ed25519 signature over timestamp + raw body with the application's public key (hex) and that
 * the timestamp is fresh, then answers with the handler's initial response. 503 while not running.
 */
export function mountInteractionsEndpoint(
  http: ParleyHttpServer,
  publicKeyHex: string,
  target: ReceiverTarget,
  logger: Logger,
  now: () => number,
): void {
  const key = publicKeyFromHex(publicKeyHex);
  http.app.post(
    INTERACTIONS_PATH,
    express.raw({ type: () => true, limit: '1mb' }),
    (req: Request, res: Response) => {
      if (!target.running()) {
        res.status(503).json({ error: 'Parley’s Discord adapter is not running.' });
        return;
      }
      const body: unknown = req.body;
      if (!Buffer.isBuffer(body)) {
        logger.error(
          'the Discord endpoint got a parsed body: mount body parsers after /discord/interactions',
        );
        res.status(500).json({ error: 'raw body unavailable' });
        return;
      }
      const timestamp = req.get('x-signature-timestamp');
      if (!verifySignature(key, req.get('x-signature-ed25519'), timestamp, body)) {
        res.status(401).json({ error: 'invalid request signature' });
        return;
      }
      if (!freshTimestamp(timestamp, now())) {
        res.status(401).json({ error: 'stale request timestamp' });
        return;
      }
      let payload: APIInteraction;
      try {
        payload = JSON.parse(body.toString('utf8')) as APIInteraction;
      } catch {
        res.status(400).json({ error: 'the body is not JSON' });
        return;
      }
      // A replayed signed request (same interaction id) is handled once, like a retried delivery.
      if (payload.type === InteractionType.Ping) return respondOverHttp(payload, res, target);
      void target.claimInteraction(payload.id).then(
        (first) => {
          if (first) respondOverHttp(payload, res, target);
          else res.status(409).json({ error: 'this interaction was already handled' });
        },
        (err: unknown) => {
          logger.warn({ err: describeError(err) }, 'could not claim a Discord interaction');
          res.json(unclaimed(err));
        },
      );
    },
  );
}

/** The initial response to an interaction the store could not claim: its sentence, privately. */
function unclaimed(err: unknown): APIInteractionResponse {
  return {
    type: InteractionResponseType.ChannelMessageWithSource,
    data: { content: personSentence(err), flags: MessageFlags.Ephemeral },
  };
}

/**
 * Runs the handler and writes its initial response as the HTTP reply. The handler's `respond`
 * resolves once the reply has been written, so its follow-ups never reach Discord before it.
 */
function respondOverHttp(payload: APIInteraction, res: Response, target: ReceiverTarget): void {
  const sent = new Promise<void>((resolve) => res.once('finish', () => resolve()));
  let answer: ((b: APIInteractionResponse | undefined) => void) | undefined;
  const answered = new Promise<APIInteractionResponse | undefined>((resolve) => {
    answer = resolve;
    setTimeout(() => resolve(undefined), RESPONSE_BUDGET_MS).unref();
  });
  target.track(
    target
      .onInteraction(payload, async (b) => {
        answer?.(b);
        await sent;
      })
      // A handler that ended without responding: nothing to send (the 500 below says so).
      .finally(() => answer?.(undefined)),
  );
  void answered.then((reply) => {
    if (!reply) {
      res.status(500).json({ error: 'the interaction was not answered in time' });
      return;
    }
    res.json(reply);
  });
}
