/**
 * Throwaway Redis Cluster and Sentinel groups on loopback, started the way test/global-setup.ts
 * starts a single redis-server: real binaries, no persistence, a temporary directory each, and
 * every process killed on stop() — and, as a last resort, when the test process exits.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitForRedis } from './redis-process.js';

export interface Endpoint {
  host: string;
  port: number;
}

const HOST = '127.0.0.1';
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Why Cluster/Sentinel tests can't run here (a missing binary), or undefined when they can. */
export function topologySkipReason(): string | undefined {
  for (const bin of ['redis-server', 'redis-cli']) {
    const which = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (which.status !== 0 || !which.stdout.trim()) return `${bin} not found on PATH`;
  }
  return undefined;
}

function startServer(args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
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
async function freeClusterPort(taken: Set<number>): Promise<number> {
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

async function poll(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

async function command(port: number, ...args: string[]): Promise<unknown> {
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

export interface RedisCluster {
  /** The masters, each owning a third of the slots. */
  nodes: Endpoint[];
  /** SIGKILLs every node (the cluster is gone; its configuration stays for {@link restart}). */
  kill(): Promise<void>;
  /** Starts the killed nodes again on their ports; resolves once the cluster is whole. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Three masters, no replicas, all 16384 slots assigned; resolves once `cluster_state:ok` everywhere. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  let children: ChildProcess[] = [];
  const killAll = async () => {
    await Promise.all(children.map(kill));
  };
  const stop = async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  };
  const nodes: Endpoint[] = [];
  const startNodes = async () => {
    children = [];
    for (const { port } of nodes) {
      const child = startServer([
        ...['--port', String(port), '--bind', HOST, '--cluster-enabled', 'yes'],
        ...['--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir],
        ...['--save', '', '--appendonly', 'no', '--cluster-node-timeout', '2000'],
      ]);
      children.push(child);
      await waitForRedis(`redis://${HOST}:${port}`, child);
    }
  };
  const whole = async () => {
    for (const node of nodes) {
      await poll(
        `cluster node ${node.port} did not reach cluster_state:ok`,
        async () => String(await command(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        15_000,
      );
    }
  };
  try {
    const taken = new Set<number>();
    for (let i = 0; i < masters; i++) nodes.push({ host: HOST, port: await freeClusterPort(taken) });
    await startNodes();
    const created = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `${n.host}:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    await whole();
    const restart = async () => {
      await startNodes();
      await whole();
    };
    return { nodes, kill: killAll, restart, stop };
  } catch (err) {
    await stop();
    throw err;
  }
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
