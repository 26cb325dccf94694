import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryEventStore } from '../../mcp-server/event-store.js';
import { type DemoServerFixture, startDemoServerFixture } from '../helpers/mcp-demo-server.js';

describe('InMemoryEventStore', () => {
  const msg = (n: number): JSONRPCMessage => ({
    jsonrpc: '2.0',
    method: 'notifications/message',
    params: { n },
  });

  it('replays only the events after the given one, on the same stream, without priming events', async () => {
    const store = new InMemoryEventStore();
    const prime = await store.storeEvent('a', {} as JSONRPCMessage);
    const first = await store.storeEvent('a', msg(1));
    await store.storeEvent('b', msg(99));
    const second = await store.storeEvent('a', msg(2));
    await store.storeEvent('a', {} as JSONRPCMessage);
    const third = await store.storeEvent('a', msg(3));

    const replayed: [string, JSONRPCMessage][] = [];
    const stream = await store.replayEventsAfter(prime, {
      send: async (id, m) => {
        replayed.push([id, m]);
      },
    });
    expect(stream).toBe('a');
    expect(replayed).toEqual([
      [first, msg(1)],
      [second, msg(2)],
      [third, msg(3)],
    ]);
    expect(await store.getStreamIdForEventId(second)).toBe('a');
    expect(await store.getStreamIdForEventId('nope')).toBeUndefined();
  });

  it('stays bounded and refuses to resume from an evicted event', async () => {
    const store = new InMemoryEventStore(3);
    const old = await store.storeEvent('a', msg(1));
    for (let i = 2; i <= 5; i++) await store.storeEvent('a', msg(i));
    expect(store.size).toBe(3);
    await expect(store.replayEventsAfter(old, { send: async () => {} })).rejects.toThrow(
      /unknown or too old/,
    );
  });
});

/** Reads SSE events off a response body one at a time. */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    async next(): Promise<{ id?: string; data: string }> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: { id?: string; data: string } = { data: '' };
          for (const line of raw.split('\n')) {
            if (line.startsWith('id:')) event.id = line.slice(3).trim();
            else if (line.startsWith('data:')) event.data += line.slice(5).trim();
          }
          if (event.id === undefined && event.data === '') continue; // keep-alive comment
          return event;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += value;
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe('a legacy session resumes a dropped stream', () => {
  let fx: DemoServerFixture;
  beforeAll(async () => {
    fx = await startDemoServerFixture();
  });
  afterAll(async () => fx.close());

  it('replays the tool result that was sent while the stream was gone (Last-Event-ID)', async () => {
    const base = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    };
    const init = await fetch(fx.server.url, {
      method: 'POST',
      headers: base,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: { elicitation: { form: {} } },
          clientInfo: { name: 'raw', version: '0' },
        },
      }),
    });
    const sessionId = init.headers.get('mcp-session-id') ?? '';
    expect(sessionId).toBeTruthy();
    await init.text();
    const headers = { ...base, 'mcp-session-id': sessionId };
    const initialized = await fetch(fx.server.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    expect(initialized.status).toBe(202);

    // Start a call that asks a question, read up to the question, then drop the stream.
    const dropped = new AbortController();
    const call = await fetch(fx.server.url, {
      method: 'POST',
      headers,
      signal: dropped.signal,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'create_ticket_v2', arguments: { initial_description: 'Resumed ticket' } },
      }),
    });
    expect(call.headers.get('content-type')).toContain('text/event-stream');
    const events = sseReader(call.body as ReadableStream<Uint8Array>);
    let question: { id?: string; data: string } = { data: '' };
    while (!question.data.includes('elicitation/create')) question = await events.next();
    expect(question.id).toBeTruthy();
    const elicitRequest = JSON.parse(question.data) as { id: number | string };
    await events.cancel().catch(() => {});
    dropped.abort();

    // Answer the question; the result goes to the event store because nobody is listening.
    const answered = await fetch(fx.server.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: elicitRequest.id,
        result: { action: 'accept', content: { reporter: 'Ann', priority: 'low' } },
      }),
    });
    expect(answered.status).toBe(202);
    await expect
      .poll(async () => (await fx.server.tickets.list(`session:${sessionId}`)).length, { timeout: 5000 })
      .toBe(1);

    // Reconnect from the last event seen: the missed result arrives.
    const resumed = await fetch(fx.server.url, {
      method: 'GET',
      headers: { ...headers, accept: 'text/event-stream', 'last-event-id': question.id ?? '' },
    });
    expect(resumed.status).toBe(200);
    const replay = sseReader(resumed.body as ReadableStream<Uint8Array>);
    const missed = await replay.next();
    await replay.cancel().catch(() => {});
    const result = JSON.parse(missed.data) as { id: number; result: { content: { text: string }[] } };
    expect(result.id).toBe(2);
    expect(result.result.content[0]?.text).toMatch(/^Created ticket T-\d+: Resumed ticket/);
  });
});
