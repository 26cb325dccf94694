/**
 * A throwaway Redis Cluster on loopback: real redis-server processes (`--cluster-enabled yes`)
 * joined by `redis-cli --cluster create`, no persistence, one temporary directory. By default
 * three masters and no replicas (quick to start, enough for the store contract); with
 * `replicasPerMaster` each master gets replicas, so a test can fail a master over — the hard way
 * (SIGKILL, the replica is elected after `cluster-node-timeout`) or by hand (`CLUSTER FAILOVER`).
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  command,
  type Endpoint,
  exited,
  freeClusterPort,
  HOST,
  infoField,
  kill,
  poll,
  startServer,
} from './redis-nodes.js';
import { waitForRedis } from './redis-process.js';

export interface RedisClusterOptions {
  /** Masters, each owning an equal share of the 16384 slots (default 3). */
  masters?: number;
  /** Replicas of each master (default 0). A failover needs at least 1. */
  replicasPerMaster?: number;
  /**
   * `cluster-node-timeout` in ms (default 2000): how long a silent master goes before it is
   * flagged failing, so a failover takes about this plus an election (≈ 0.5–1.5 s).
   */
  nodeTimeoutMs?: number;
}

/** A master and its replicas, as the cluster reports them now. */
export interface Shard {
  master: Endpoint;
  replicas: Endpoint[];
}

export interface RedisCluster {
  /** The masters at creation (use them as seed nodes; any one of them is enough). */
  nodes: Endpoint[];
  /** The replicas at creation (empty without `replicasPerMaster`). */
  replicas: Endpoint[];
  /** SIGKILLs every node (the cluster is gone; its configuration stays for {@link restart}). */
  kill(): Promise<void>;
  /** Starts the killed nodes again on their ports; resolves once the cluster is whole. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** The shard serving `key`'s slot (CLUSTER KEYSLOT, then CLUSTER NODES on a live node). */
  shardOf(key: string): Promise<Shard>;
  /**
   * Resolves once every replica of `master` has processed all the writes `master` had taken when
   * called (replication is asynchronous: a master killed earlier may take writes with it).
   */
  synced(master: Endpoint): Promise<void>;
  /**
   * SIGKILLs `master` and resolves with the replica the cluster promoted in its place, once that
   * replica serves its slots and every live node reports `cluster_state:ok`.
   */
  killMaster(master: Endpoint): Promise<Endpoint>;
  /** `CLUSTER FAILOVER` on `replica` (a coordinated switch); resolves once it serves as master. */
  failover(replica: Endpoint): Promise<void>;
}

interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: Array<[number, number]>;
}

/** `CLUSTER NODES`, one node per line (Redis Cluster spec, "CLUSTER NODES output format"). */
function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', addr = '', flags = '', masterId = '', , , , , ...slots] = line.trim().split(' ');
      const port = Number(/:(\d+)@/.exec(addr)?.[1]);
      const ranges = slots
        .filter((s) => !s.startsWith('['))
        .map((s) => {
          const [from, to = from] = s.split('-').map(Number);
          return [from, to] as [number, number];
        });
      return { id, port, flags: flags.split(','), masterId, slots: ranges };
    });
}

const failing = (n: NodeLine) => n.flags.includes('fail') || n.flags.includes('fail?');

/** Starts the cluster; resolves once it is whole (`cluster_state:ok` everywhere, replicas in sync). */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicasPerMaster = options.replicasPerMaster ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2_000;
  const dir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  const ports: number[] = [];
  const children = new Map<number, ChildProcess>();
  const killAll = async () => {
    await Promise.all([...children.values()].map(kill));
  };
  const stop = async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  };
  const startNode = async (port: number) => {
    const child = startServer([
      ...['--port', String(port), '--bind', HOST, '--cluster-enabled', 'yes'],
      ...['--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir],
      ...['--save', '', '--appendonly', 'no', '--cluster-node-timeout', String(nodeTimeoutMs)],
      // A replica's first sync starts at once rather than after the default 5 s pause.
      ...['--repl-diskless-sync-delay', '0'],
    ]);
    children.set(port, child);
    await waitForRedis(`redis://${HOST}:${port}`, child);
  };
  const livePorts = () => ports.filter((p) => !exited(children.get(p) as ChildProcess));
  const nodesSeenBy = async (port: number) => parseNodes(String(await command(port, 'CLUSTER', 'NODES')));
  /** Every live node: state ok, and (with replicas) every live replica linked to its master. */
  const whole = async () => {
    for (const port of livePorts()) {
      await poll(
        `cluster node ${port} did not reach cluster_state:ok`,
        async () => String(await command(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        20_000,
      );
      await poll(
        `cluster node ${port} is a replica whose link to its master is not up`,
        async () => {
          const info = String(await command(port, 'INFO', 'replication'));
          return infoField(info, 'role') === 'master' || infoField(info, 'master_link_status') === 'up';
        },
        20_000,
      );
    }
  };
  const shardOf = async (key: string): Promise<Shard> => {
    const [any] = livePorts();
    if (any === undefined) throw new Error('no live cluster node');
    const slot = Number(await command(any, 'CLUSTER', 'KEYSLOT', key));
    const seen = await nodesSeenBy(any);
    const master = seen.find(
      (n) => n.flags.includes('master') && !failing(n) && n.slots.some(([a, b]) => slot >= a && slot <= b),
    );
    if (!master) throw new Error(`no live master serves slot ${slot}`);
    const replicas = seen.filter((n) => n.masterId === master.id && !failing(n));
    const at = (n: NodeLine) => ({ host: HOST, port: n.port });
    return { master: at(master), replicas: replicas.map(at) };
  };
  const synced = async (master: Endpoint) => {
    const offset = Number(
      infoField(String(await command(master.port, 'INFO', 'replication')), 'master_repl_offset'),
    );
    const me = (await nodesSeenBy(master.port)).find((n) => n.flags.includes('myself'));
    const replicas = (await nodesSeenBy(master.port)).filter((n) => n.masterId === me?.id);
    for (const replica of replicas) {
      await poll(
        `replica ${replica.port} did not catch up with ${master.port}`,
        async () =>
          Number(
            infoField(String(await command(replica.port, 'INFO', 'replication')), 'slave_repl_offset'),
          ) >= offset,
        10_000,
      );
    }
  };
  const killMaster = async (master: Endpoint): Promise<Endpoint> => {
    const before = (await nodesSeenBy(master.port)).find((n) => n.flags.includes('myself'));
    const slot = before?.slots[0]?.[0];
    if (!before?.flags.includes('master') || slot === undefined)
      throw new Error(`${master.port} is no master serving slots`);
    await kill(children.get(master.port) as ChildProcess);
    let promoted: Endpoint | undefined;
    await poll(
      `no replica of ${master.port} was promoted`,
      async () => {
        // Promoted once every live node names the same new owner of the dead master's slots.
        const owners = new Set<number>();
        for (const port of livePorts()) {
          const owner = (await nodesSeenBy(port)).find(
            (n) =>
              n.flags.includes('master') && !failing(n) && n.slots.some(([a, b]) => slot >= a && slot <= b),
          );
          owners.add(owner?.port ?? master.port);
        }
        const [port] = owners;
        if (owners.size !== 1 || port === undefined || port === master.port) return false;
        promoted = { host: HOST, port };
        return String(await command(port, 'ROLE')).startsWith('master');
      },
      30_000,
    );
    await whole();
    return promoted as Endpoint;
  };
  const failover = async (replica: Endpoint) => {
    await command(replica.port, 'CLUSTER', 'FAILOVER');
    await poll(
      `replica ${replica.port} did not take over`,
      async () => {
        const me = (await nodesSeenBy(replica.port)).find((n) => n.flags.includes('myself'));
        return Boolean(me?.flags.includes('master') && me.slots.length > 0);
      },
      20_000,
    );
    await whole();
  };
  try {
    const taken = new Set<number>();
    const total = masters * (1 + replicasPerMaster);
    for (let i = 0; i < total; i++) {
      // A port free when checked may be taken by a parallel test file before the node binds it.
      for (let attempt = 1; ; attempt++) {
        const port = await freeClusterPort(taken);
        try {
          await startNode(port);
          ports.push(port);
          break;
        } catch (err) {
          const child = children.get(port);
          children.delete(port);
          if (child) await kill(child);
          if (attempt >= 5) throw err;
        }
      }
    }
    const created = spawnSync(
      'redis-cli',
      [
        ...['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`)],
        ...['--cluster-replicas', String(replicasPerMaster), '--cluster-yes'],
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    // Whole only once every node knows every other in its final role (replicas join by gossip).
    for (const port of ports)
      await poll(
        `cluster node ${port} did not learn the whole topology`,
        async () => {
          const seen = await nodesSeenBy(port);
          const slaves = seen.filter((n) => n.flags.includes('slave')).length;
          return seen.length === total && slaves === masters * replicasPerMaster;
        },
        20_000,
      );
    await whole();
    const seen = await nodesSeenBy(ports[0] as number);
    const endpoints = (role: string) =>
      seen.filter((n) => n.flags.includes(role)).map((n) => ({ host: HOST, port: n.port }));
    const restart = async () => {
      for (const port of ports) if (exited(children.get(port) as ChildProcess)) await startNode(port);
      await whole();
    };
    return {
      nodes: endpoints('master'),
      replicas: endpoints('slave'),
      kill: killAll,
      restart,
      stop,
      shardOf,
      synced,
      killMaster,
      failover,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
