/**
 * Throwaway Redis Cluster and Sentinel groups on loopback, started the way test/global-setup.ts
 * starts a single redis-server: real binaries, no persistence, a temporary directory each, and
 * every process killed on stop() — and, as a last resort, when the test process exits. The
 * cluster lives in ./redis-cluster.ts (re-exported here), what both share in ./redis-nodes.ts.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, type Endpoint, HOST, kill, poll, startServer } from './redis-nodes.js';
import { freePort, waitForRedis } from './redis-process.js';

export {
  type RedisCluster,
  type RedisClusterOptions,
  type Shard,
  startRedisCluster,
} from './redis-cluster.js';
export type { Endpoint } from './redis-nodes.js';

/** Why Cluster/Sentinel tests can't run here (a missing binary), or undefined when they can. */
export function topologySkipReason(): string | undefined {
  for (const bin of ['redis-server', 'redis-cli']) {
    const which = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (which.status !== 0 || !which.stdout.trim()) return `${bin} not found on PATH`;
  }
  return undefined;
}

export interface SentinelGroup {
  /** The master group name the sentinels monitor. */
  name: string;
  sentinels: Endpoint[];
  /** The data node the sentinels currently name as master. */
  master(): Promise<Endpoint>;
  /** SIGKILLs the current master and resolves once the sentinels have promoted the replica. */
  killMaster(): Promise<Endpoint>;
  stop(): Promise<void>;
}

/** One master, one replica and `sentinelCount` sentinels (quorum 1, 1 s down-after). */
export async function startSentinelGroup(sentinelCount = 1): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sentinel-'));
  const name = 'parley-test';
  const children = new Map<number, ChildProcess>();
  const stop = async () => {
    await Promise.all([...children.values()].map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const base = ['--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir];
    const masterPort = await freePort();
    children.set(masterPort, startServer(['--port', String(masterPort), ...base]));
    await waitForRedis(`redis://${HOST}:${masterPort}`, children.get(masterPort));
    const replicaPort = await freePort();
    children.set(
      replicaPort,
      startServer(['--port', String(replicaPort), ...base, '--replicaof', HOST, String(masterPort)]),
    );
    await waitForRedis(`redis://${HOST}:${replicaPort}`, children.get(replicaPort));
    await poll(
      'the replica did not sync',
      async () => String(await command(replicaPort, 'INFO', 'replication')).includes('master_link_status:up'),
      10_000,
    );

    const sentinels: Endpoint[] = [];
    for (let i = 0; i < sentinelCount; i++) {
      const port = await freePort();
      // Sentinel rewrites its configuration file, so each gets a writable one of its own.
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${masterPort} 1`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const child = startServer([conf, '--sentinel']);
      children.set(port, child);
      sentinels.push({ host: HOST, port });
      await waitForRedis(`redis://${HOST}:${port}`, child);
    }
    const masterOf = async (): Promise<Endpoint> => {
      const first = sentinels[0];
      if (!first) throw new Error('no sentinel');
      const reply = (await command(first.port, 'SENTINEL', 'get-master-addr-by-name', name)) as [
        string,
        string,
      ];
      return { host: reply[0], port: Number(reply[1]) };
    };
    // Ready once every sentinel knows the replica (it can only fail over to one it has seen).
    for (const s of sentinels) {
      await poll(
        `sentinel ${s.port} did not discover the replica`,
        async () => ((await command(s.port, 'SENTINEL', 'replicas', name)) as unknown[]).length > 0,
        10_000,
      );
    }
    const killMaster = async (): Promise<Endpoint> => {
      const old = await masterOf();
      const child = children.get(old.port);
      if (child) await kill(child);
      await poll(
        'the sentinels did not promote the replica',
        async () => (await masterOf()).port !== old.port,
        20_000,
      );
      const now = await masterOf();
      await poll(
        'the promoted replica does not act as master',
        async () => String(await command(now.port, 'ROLE')).startsWith('master'),
        10_000,
      );
      return now;
    };
    return { name, sentinels, master: masterOf, killMaster, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
