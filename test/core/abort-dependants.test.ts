/**
 * A long-lived connection's transport signal does not keep a dead entry per request (issue 12
 * §2): the SDK derives each request's signal from it with `AbortSignal.any`, and Node 20 never
 * drops the `WeakRef` that leaves behind (nodejs/node#55351). Real demo server, real calls.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneDependants } from '../../src/mcp/abort-dependants.js';
import { mcpFetch } from '../../src/mcp/http-fetch.js';
import { McpHttpTransport } from '../../src/mcp/sse.js';
import { type DemoMcp, startDemoMcp } from '../helpers/demo.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Entries in the signal's dependant set, dead or alive, as the runtime keeps them (0: none kept). */
function entries(signal: AbortSignal): number {
  const symbol = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  const set = symbol && (signal as unknown as Record<symbol, { size?: unknown }>)[symbol];
  return typeof set?.size === 'number' ? set.size : 0;
}

/** Collects garbage until WeakRef targets are gone (they live at least to the end of a job). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
}

let demo: DemoMcp;
beforeAll(async () => {
  demo = await startDemoMcp();
});
afterAll(async () => {
  await demo?.close();
});

describe('dead signals derived from a long-lived one', () => {
  it('are dropped; live ones stay linked and still abort', async () => {
    const source = new AbortController();
    // Derived and dropped: what each request leaves behind.
    for (let i = 0; i < 500; i++) AbortSignal.any([source.signal, new AbortController().signal]);
    const kept = AbortSignal.any([source.signal]);
    await collect();
    // Node 20 keeps the 500 dead until pruned (later Nodes prune, or never link them).
    expect(pruneDependants(source.signal)).toBeLessThanOrEqual(1);
    source.abort(new Error('closed'));
    expect(kept.aborted).toBe(true);
  });

  it('do not pile up on a connection’s transport, call after call', async () => {
    const transport = new McpHttpTransport(new URL(demo.url), { fetch: mcpFetch(demo.url) });
    const client = new Client({ name: 'test', version: '0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(transport);
    const signal = (transport as unknown as { _abortController: AbortController })._abortController.signal;
    // With a signal of its own, as Parley calls (each call's ActiveCall ends its requests).
    const call = (n: number) =>
      client.callTool(
        { name: 'echo', arguments: { message: `m${n}` } },
        { signal: new AbortController().signal },
      );
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 100; i++) await Promise.all([call(i), call(i + 1)]);
      await collect();
    }
    // The dead are pruned on the way, every 64 requests.
    for (let i = 0; i < 32; i++) await Promise.all([call(i), call(i + 1)]);
    // Without the pruner this is 864 on Node 20 (one per request); Node 22+ prunes by itself.
    expect(entries(signal)).toBeLessThan(100);
    await client.close();
  });
});
