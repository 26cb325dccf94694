/**
 * Resumability for legacy (2025-11-25) sessions. The SDK's Streamable HTTP transport stores every
 * SSE event it sends through this port; a client whose stream dropped reconnects with
 * `Last-Event-ID` and gets the events it missed on that stream. The SDK ships the interface but no
 * implementation, so this is a small bounded in-memory one (one process serves a session anyway).
 */
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

interface StoredEvent {
  streamId: StreamId;
  message: JSONRPCMessage;
}

export class InMemoryEventStore implements EventStore {
  // Map keeps insertion order, which is also event order: replay walks it from the given id.
  private readonly events = new Map<EventId, StoredEvent>();
  private seq = 0;

  /** @param maxEvents oldest events are dropped past this many, so a long-lived server stays bounded. */
  constructor(private readonly maxEvents = 10_000) {}

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    // The stream id is inside the event id, so a client can only ever resume its own stream.
    const eventId = `${streamId}_${++this.seq}`;
    this.events.set(eventId, { streamId, message });
    while (this.events.size > this.maxEvents) {
      const oldest = this.events.keys().next();
      if (oldest.done) break;
      this.events.delete(oldest.value);
    }
    return eventId;
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return this.events.get(eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const last = this.events.get(lastEventId);
    if (!last) throw new Error(`Cannot resume: event ${lastEventId} is unknown or too old.`);
    let after = false;
    for (const [eventId, event] of this.events) {
      if (eventId === lastEventId) {
        after = true;
        continue;
      }
      // Priming events carry an empty message: they mark a position and are not replayed.
      if (after && event.streamId === last.streamId && Object.keys(event.message).length > 0) {
        await send(eventId, event.message);
      }
    }
    return last.streamId;
  }

  /** How many events are held (for tests and diagnostics). */
  get size(): number {
    return this.events.size;
  }
}
