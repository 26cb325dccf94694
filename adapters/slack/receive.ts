/**
 * The receive path, between Bolt's receiver (signature checked, body parsed) and its listeners:
 * receive → ack → enqueue. Slack times every ack (3 s) and, in a burst, deliveries queue behind
 * whatever the one event loop does first. So a delivery whose ack carries nothing is acked the
 * moment it is received, and its handling (Bolt's middleware and listeners) waits its turn in the
 * {@link WorkGate}, after the acks of the deliveries that came with it. Deliveries whose ack
 * carries an answer — a modal submit (inline errors, the next view), a slash command (its
 * ephemeral reply), a type-ahead (its options) — are handled at once: only their listener can ack.
 *
 * The queue is in process: a delivery acked here and lost to a crash before its turn is lost, as
 * it was when listeners acked first (Slack does not retry an acked delivery). A durable queue in
 * the store, which any process could take turns from, is the design for running past one process.
 */
import type { App } from '@slack/bolt';
import { metrics, secondsSince } from '../../src/observability/metrics.js';
import type { Priority, WorkGate } from './gate.js';

type Body = Record<string, unknown> & { type?: unknown; event?: { type?: unknown } };

/**
 * Whether a delivery's ack carries nothing, so it can be acked on arrival — and if so, how soon
 * its handling must start: a button click may open a modal, whose trigger id lasts 3 s (urgent);
 * an event or a closed modal can wait. Undefined: its listener acks (with an answer).
 */
export function ackOnArrival(body: Body): Priority | undefined {
  switch (body.type) {
    case 'event_callback':
      // A workflow function's event is acked by its listener (complete/fail); Parley has none.
      return body.event?.type === 'function_executed' ? undefined : 'normal';
    case 'block_actions':
    case 'message_action':
      return 'urgent';
    case 'view_closed':
      return 'normal';
    default:
      return undefined;
  }
}

export interface ReceiveOptions {
  gate: WorkGate;
  /**
   * Reports each delivery to the gate from receipt to ack (Socket Mode). In HTTP mode the
   * adapter does, from the request's headers to its response, which covers more.
   */
  countsDeliveries: boolean;
}

/**
 * Wraps `app.processEvent` (what every receiver calls per delivery) with the receive path above,
 * and measures each delivery's time to ack (`parley_ack_duration_seconds`).
 */
export function receiveThenHandle(app: App, o: ReceiveOptions): void {
  const handle = app.processEvent.bind(app);
  app.processEvent = async (event) => {
    const received = performance.now();
    let acked = false;
    if (o.countsDeliveries) o.gate.arrived();
    const ack: typeof event.ack = (response) => {
      if (!acked) {
        acked = true;
        metrics.ack('slack', secondsSince(received));
        if (o.countsDeliveries) o.gate.acked();
      }
      return event.ack(response);
    };
    const priority = ackOnArrival(event.body as Body);
    if (priority === undefined) {
      try {
        return await handle({ ...event, ack });
      } finally {
        // Nothing acked it (no listener matched, or one failed first): no longer in flight.
        if (!acked) {
          acked = true;
          if (o.countsDeliveries) o.gate.acked();
        }
      }
    }
    await ack();
    await o.gate.admit(priority);
    // Listeners still call ack() (Bolt's own code does for events): a no-op now.
    return handle({ ...event, ack: async () => undefined });
  };
}
