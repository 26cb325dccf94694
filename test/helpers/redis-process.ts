/** Starts a private redis-server (for tests that stop and restart Redis on purpose). */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startRedisProcess(port?: number): Promise<RedisProcess> {
  const p = port ?? (await freePort());
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${p}`;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await waitForRedis(url, child);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await start();
  return { url, port: p, start, stop };
}

/** Resolves once Redis at `url` answers PING; fails early if the `child` server exits. */
/** The port a redis-server child was started on turned out to be another server's. */
export class PortTakenError extends Error {}

export async function waitForRedis(url: string, child?: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // Refused connections are expected while the server starts; the loop reports the last one.
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      // Another test file may have won the same free port a moment earlier: the server that
      // answers must be this child, or ours failed to bind and someone else's answers for it.
      const pid = child && /process_id:(\d+)/.exec(String(await client.info('server')))?.[1];
      client.disconnect();
      if (child && pid !== String(child.pid))
        throw new PortTakenError(`${url} is answered by another redis-server (pid ${pid}), not ours`);
      return;
    } catch (err) {
      if (err instanceof PortTakenError) throw err;
      lastError = err;
      client.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`Redis at ${url} did not answer: ${String(lastError)}`);
}
