/**
 * The load generator of the Slack ack bench (slack-ack.ts), in its own process so that its CPU
 * and event loop are not Parley's nor the fake Slack's. It does almost no work: it is handed
 * requests that are already built and signed, and fires them with autocannon — one connection
 * per request, all at once — and sends back autocannon's own latency histogram (encoded, so the
 * parent can aggregate phases with `autocannon.aggregateResult`) and each request's status.
 *
 * Messages (IPC): in `{ type: 'burst', url, requests: PreparedRequest[], timeoutS }`; out
 * `{ type: 'ready' }` once, then per burst `{ type: 'sent' }` as the requests go out and
 * `{ type: 'result', … }` when every answer is in.
 */
import type { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** One request as the generator sends it: pre-built headers and body (signed by the parent). */
export interface PreparedRequest {
  headers: Record<string, string>;
  body: string;
}

/** What became of request i: its status and time as autocannon measured it, or nothing. */
export interface Outcome {
  status: number;
  ms: number;
  /** When its clock started (epoch ms, sub-ms precision): to line it up with Parley's clock. */
  sentAt: number;
}

export interface BurstMessage {
  type: 'burst';
  url: string;
  requests: PreparedRequest[];
  /** autocannon's per-request timeout, seconds. */
  timeoutS: number;
}

export interface BurstResult {
  type: 'result';
  /** autocannon's result with `skipAggregateResult` (its histograms encoded). */
  result: autocannon.Result;
  /** By request index; null where no response came (connection error or timeout). */
  outcomes: Array<Outcome | null>;
  /** How long building and connecting every connection took (before any clock started). */
  setupMs: number;
  /** How long the loop that sent every request took: the generator's own time inside the burst. */
  releaseMs: number;
  /** The generator's own event-loop delay during the burst. */
  loopMs: { p99: number; max: number };
}

function burst(m: BurstMessage): Promise<BurstResult> {
  const { requests } = m;
  const outcomes: Array<Outcome | null> = requests.map(() => null);
  const index = new WeakMap<autocannon.Client, number>();
  let next = 0;
  let released = false;
  const sentAt: number[] = [];
  let connected = 0;
  let allConnected: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    allConnected = resolve;
  });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const held: Array<() => void> = [];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: m.url,
        method: 'POST',
        // One connection per request and one request per connection: every request goes out at
        // once, each on its own socket, like Slack's deliveries for different people.
        connections: requests.length,
        amount: requests.length,
        timeout: m.timeoutS,
        skipAggregateResult: true,
        // Called once per connection as autocannon builds it: hands it its own request, and
        // holds that request until every connection is built (see `release` below).
        setupClient: (client) => {
          const i = next++;
          const r = requests[i] as PreparedRequest;
          index.set(client, i);
          client.setHeadersAndBody(r.headers, r.body);
          const c = client as autocannon.Client & { _doRequest: () => void };
          const send = c._doRequest;
          let holding = false;
          c._doRequest = () => {
            if (released) send.call(c);
            else if (!holding) {
              // autocannon has just started this connection (`conn`): hold its request until
              // every connection is up.
              holding = true;
              (c as unknown as { conn: Socket }).conn.once('connect', () => {
                connected += 1;
                if (connected === requests.length) allConnected();
              });
              held.push(() => {
                sentAt[i] = performance.timeOrigin + performance.now();
                send.call(c);
              });
            }
          };
        },
      },
      (err, result) => {
        if (err) reject(err);
        else {
          loop.disable();
          const loopMs = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
          resolve({ type: 'result', result, outcomes, setupMs, releaseMs, loopMs });
        }
      },
    );
    // autocannon builds every connection synchronously and starts each one's clock as it sends
    // its request: building and connecting 1,000 takes this process a few hundred ms, which
    // would land in the first ones' latency. So every first request is held until all the
    // connections are up (as a sender's pooled connections would be), then they go out in one
    // loop that only starts each clock and writes pre-built bytes.
    let setupMs = 0;
    let releaseMs = 0;
    void ready.then(() => {
      setupMs = performance.now() - started;
      released = true;
      const releasing = performance.now();
      for (const go of held.splice(0)) go();
      releaseMs = performance.now() - releasing;
      process.send?.({ type: 'sent' });
    });
    instance.on('response', (client, statusCode, _bytes, responseTime) => {
      const i = index.get(client);
      if (i !== undefined)
        outcomes[i] = {
          status: statusCode,
          ms: responseTime,
          sentAt: sentAt[i] ?? 0,
        };
    });
  });
}

process.on('message', (m: BurstMessage | { type: 'stop' }) => {
  if (m.type === 'stop') process.exit(0);
  burst(m).then(
    (r) => process.send?.(r),
    (err: unknown) => {
      process.stderr.write(`load generator failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
});
process.send?.({ type: 'ready' });
