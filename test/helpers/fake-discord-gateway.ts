/**
 * A stand-in for Discord's gateway, enough for discord.js to log in and receive dispatches: the
 * WebSocket handshake (HELLO → IDENTIFY → READY, heartbeats acknowledged) and `dispatch` to send
 * events (MESSAGE_CREATE, INTERACTION_CREATE) to every identified connection. JSON encoding, no
 * compression. Pair it with the fake REST (fake-discord.ts), which answers `GET /gateway/bot`
 * with this URL. Used by `npm run fake-discord`; loopback only.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

type Json = Record<string, unknown>;

export interface FakeGateway {
  /** ws://127.0.0.1:port — what `GET /gateway/bot` answers. */
  url: string;
  /** Sends a dispatch (op 0) to every identified connection; resolves with how many got it. */
  dispatch(event: string, data: Json): number;
  /** Resolves when a client has identified (logged in). */
  identified(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeGateway(bot: {
  id: string;
  username: string;
  applicationId: string;
}): Promise<FakeGateway> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const ready = new Set<WebSocket>();
  let seq = 0;
  const onIdentify: Array<() => void> = [];
  const send = (ws: WebSocket, payload: Json) => ws.send(JSON.stringify(payload));

  wss.on('connection', (ws) => {
    send(ws, { op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null });
    ws.on('message', (raw) => {
      let msg: { op?: number; d?: unknown };
      try {
        msg = JSON.parse(String(raw)) as { op?: number; d?: unknown };
      } catch {
        return;
      }
      if (msg.op === 1) send(ws, { op: 11, d: null, s: null, t: null });
      if (msg.op === 2 || msg.op === 6) {
        send(ws, {
          op: 0,
          t: msg.op === 2 ? 'READY' : 'RESUMED',
          s: ++seq,
          d: {
            v: 10,
            user: {
              id: bot.id,
              username: bot.username,
              discriminator: '0',
              bot: true,
              global_name: null,
              avatar: null,
            },
            guilds: [],
            session_id: `fake-session-${seq}`,
            resume_gateway_url: url,
            shard: [0, 1],
            application: { id: bot.applicationId, flags: 0 },
          },
        });
        ready.add(ws);
        for (const w of onIdentify.splice(0)) w();
      }
    });
    ws.on('close', () => ready.delete(ws));
  });

  return {
    url,
    dispatch(event, data) {
      seq += 1;
      for (const ws of ready)
        if (ws.readyState === WebSocket.OPEN) send(ws, { op: 0, t: event, s: seq, d: data });
      return ready.size;
    },
    identified: () => (ready.size > 0 ? Promise.resolve() : new Promise((r) => onIdentify.push(r))),
    close: () =>
      new Promise((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}
