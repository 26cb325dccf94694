/**
 * Vitest global setup: gives the whole run one real Redis and one key prefix.
 *
 * `REDIS_URL` wins when set; otherwise a throwaway `redis-server` is started on a free loopback
 * port (no persistence) and stopped at the end. Only keys under this run's prefix are removed, so
 * a shared Redis (the machine's own, or CI's) keeps everything else.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { freePort, waitForRedis } from './helpers/redis-process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisPrefix: string;
  }
}

const INSTALL_HINT =
  'redis-server not found: set REDIS_URL to a running Redis, or install one (apt-get install redis-server / brew install redis).';

async function deleteByPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env.REDIS_URL;
  let child: ChildProcess | undefined;
  if (!url) {
    const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
    if (which.status !== 0 || !which.stdout.trim()) throw new Error(INSTALL_HINT);
    const port = await freePort();
    child = spawn(
      which.stdout.trim(),
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    url = `redis://127.0.0.1:${port}`;
  }
  await waitForRedis(url, child);
  const prefix = `parley-test:${Date.now().toString(36)}-${randomBytes(4).toString('hex')}:`;
  project.provide('redisUrl', url);
  project.provide('redisPrefix', prefix);
  return async () => {
    try {
      await deleteByPrefix(url, prefix);
    } finally {
      child?.kill('SIGTERM');
    }
  };
}
