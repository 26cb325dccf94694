/**
 * The receive path (adapters/slack/receive.ts): a delivery whose ack carries nothing is acked on
 * arrival and handled when the work gate lets it through; a delivery whose ack carries an answer
 * (a modal submit, a slash command, a type-ahead) is handled at once and acked by its listener.
 */
import type { App, ReceiverEvent } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { WorkGate } from '../../adapters/slack/gate.js';
import { ackOnArrival, receiveThenHandle } from '../../adapters/slack/receive.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An app stand-in: processEvent is what Bolt's receivers call; the listener is `listener`. */
function appWith(listener: (event: ReceiverEvent) => Promise<void>) {
  const app = { processEvent: listener } as unknown as App;
  return app;
}

const mention = { type: 'event_callback', event: { type: 'app_mention', text: 'hi' } };
const click = { type: 'block_actions', actions: [{ action_id: 'parley_form_open' }] };
const submit = { type: 'view_submission', view: { callback_id: 'parley_form' } };

describe('the receive path', () => {
  it('knows which deliveries can be acked on arrival, and how urgent their handling is', () => {
    expect(ackOnArrival(mention)).toBe('normal');
    expect(ackOnArrival(click)).toBe('urgent');
    expect(ackOnArrival({ type: 'message_action' })).toBe('urgent');
    expect(ackOnArrival({ type: 'view_closed' })).toBe('normal');
    // Their acks carry answers: inline errors or the next view, the command's reply, options.
    expect(ackOnArrival(submit)).toBeUndefined();
    expect(ackOnArrival({ command: '/parley', text: 'help' })).toBeUndefined();
    expect(ackOnArrival({ type: 'block_suggestion' })).toBeUndefined();
    expect(ackOnArrival({ type: 'event_callback', event: { type: 'function_executed' } })).toBeUndefined();
  });

  it('acks a mention at once and handles it only when no other delivery is being acked', async () => {
    const gate = new WorkGate({ quietMs: 0 });
    const order: string[] = [];
    const app = appWith(async (event) => {
      order.push('handled');
      await event.ack(); // Bolt acks events itself: harmless now
    });
    receiveThenHandle(app, { gate, countsDeliveries: true });
    // Another delivery is being read and acked: this one's handling waits for it.
    gate.arrived();
    const done = app.processEvent({
      body: mention,
      ack: async () => {
        order.push('acked');
      },
    });
    for (let i = 0; i < 5; i++) await tick();
    expect(order).toEqual(['acked']);
    gate.acked();
    await done;
    expect(order).toEqual(['acked', 'handled']);
    expect(gate.deliveriesInFlight).toBe(0);
  });

  it('hands a modal submit to its listener at once; the listener’s ack answers it', async () => {
    const gate = new WorkGate({ quietMs: 0 });
    const acks: unknown[] = [];
    const app = appWith(async (event) => {
      expect(gate.deliveriesInFlight).toBe(1);
      await event.ack({ response_action: 'errors', errors: { b: 'Required' } });
    });
    receiveThenHandle(app, { gate, countsDeliveries: true });
    await app.processEvent({
      body: submit,
      ack: async (response) => {
        acks.push(response);
      },
    });
    expect(acks).toEqual([{ response_action: 'errors', errors: { b: 'Required' } }]);
    expect(gate.deliveriesInFlight).toBe(0);
  });

  it('does not count a delivery twice when its listener never acks', async () => {
    const gate = new WorkGate({ quietMs: 0 });
    const app = appWith(async () => undefined);
    receiveThenHandle(app, { gate, countsDeliveries: true });
    await app.processEvent({ body: submit, ack: async () => undefined });
    expect(gate.deliveriesInFlight).toBe(0);
  });
});
