/**
 * What the Cluster and Sentinel helpers share: spawning a throwaway redis-server (killed when
 * the test process exits, as a last resort), SIGKILLing it, polling, and one-off commands to a
 * single node.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface Endpoint {
  host: string;
  port: number;
}

export const HOST = '127.0.0.1';
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A redis-server with `args`, output ignored; tracked so it dies with the test process. */
export function startServer(args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGKILL (no shutdown, no last writes), resolved once the process has exited. */
export async function kill(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port P with P + 10000 free too, P ≤ 55535: a cluster node also listens on its bus port
 * P + 10000, and port 0 often hands out ports too high for that.
 */
export async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await canListen(port)) && (await canListen(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free port pair for a cluster node below 55536');
}

/** Resolves once `check` is true (a throw counts as false); rejects with `what` after `timeoutMs`. */
export async function poll(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

/** One command on one node over a connection of its own (no retries, no cluster redirects). */
export async function command(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0] ?? 'PING', ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

/** One `field:value` of an INFO reply; undefined when absent. */
export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}
