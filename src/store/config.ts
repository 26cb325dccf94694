/**
 * Which store to build, read from the environment: the in-memory store, one Redis node
 * (`REDIS_URL`), Redis Cluster (`REDIS_CLUSTER_NODES`) or a Sentinel-managed primary
 * (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`). Parsed once with zod into a neutral
 * {@link StoreConfig}; `createStore` turns that into a client.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ParleyError } from '../errors.js';

export interface StoreEndpoint {
  host: string;
  port: number;
}

/** Credentials and transport shared by every Redis topology. */
export interface RedisAuth {
  username?: string;
  password?: string;
  /** TLS towards every Redis connection (data nodes and sentinels). */
  tls: boolean;
  /** PEM of the CA(s) that signed the servers' certificates, instead of Node's trust store. */
  tlsCa?: string;
}

export type StoreConfig =
  | { kind: 'memory' }
  | ({ kind: 'single'; url: string; prefix: string } & RedisAuth)
  | ({ kind: 'cluster'; nodes: StoreEndpoint[]; prefix: string } & RedisAuth)
  | ({
      kind: 'sentinel';
      sentinels: StoreEndpoint[];
      /** The master group name the sentinels monitor (`sentinel monitor NAME …`). */
      name: string;
      /** Auth for the sentinels themselves, when they require it (Redis 6.2+ sentinels). */
      sentinelUsername?: string;
      sentinelPassword?: string;
      prefix: string;
    } & RedisAuth);

const blankToUndefined = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

const flag = blankToUndefined.pipe(
  z
    .enum(['1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'], { message: 'use 1/true or 0/false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : ['1', 'true', 'yes', 'on'].includes(v))),
);

/** `host:port` or `redis[s]://host:port`; IPv6 hosts in brackets (`[::1]:7000`). */
function endpointList(variable: string) {
  return blankToUndefined.transform((raw, ctx): { endpoints: StoreEndpoint[]; tls: boolean } | undefined => {
    if (raw === undefined) return undefined;
    const endpoints: StoreEndpoint[] = [];
    let tls = false;
    for (const item of raw.split(',').map((s) => s.trim())) {
      if (!item) continue;
      const scheme = /^(rediss?):\/\//.exec(item);
      if (scheme?.[1] === 'rediss') tls = true;
      const rest = scheme ? item.slice(scheme[0].length).replace(/\/.*$/, '') : item;
      const m = /^(\[[^\]]+\]|[^:/@\s]+):(\d{1,5})$/.exec(rest);
      const port = m ? Number(m[2]) : 0;
      if (!m?.[1] || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not host:port (in ${variable})` });
        return z.NEVER;
      }
      endpoints.push({ host: m[1].replace(/^\[|\]$/g, ''), port });
    }
    if (endpoints.length === 0) {
      ctx.addIssue({ code: 'custom', message: `list at least one host:port (in ${variable})` });
      return z.NEVER;
    }
    return { endpoints, tls };
  });
}

export const storeEnvSchema = z
  .object({
    /** One Redis node: `redis://[user:password@]host:port[/db]`, `rediss://` for TLS. */
    REDIS_URL: blankToUndefined,
    /** Redis Cluster: comma-separated seed nodes (`host:port`); the rest are discovered. */
    REDIS_CLUSTER_NODES: endpointList('REDIS_CLUSTER_NODES'),
    /** Sentinel: comma-separated sentinels (`host:port`) … */
    REDIS_SENTINELS: endpointList('REDIS_SENTINELS'),
    /** … and the master group name they monitor. */
    REDIS_SENTINEL_NAME: blankToUndefined,
    REDIS_SENTINEL_USERNAME: blankToUndefined,
    REDIS_SENTINEL_PASSWORD: blankToUndefined,
    REDIS_USERNAME: blankToUndefined,
    REDIS_PASSWORD: blankToUndefined,
    /** TLS for every Redis connection (a `rediss://` URL or seed, or a CA file, turns it on too). */
    REDIS_TLS: flag,
    /** A PEM file with the CA(s) that signed the Redis servers' certificates (private CAs). */
    REDIS_TLS_CA_FILE: blankToUndefined.transform((path, ctx) => {
      if (path === undefined) return undefined;
      try {
        return readFileSync(path, 'utf8');
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        });
        return z.NEVER;
      }
    }),
    REDIS_PREFIX: z.string().default('parley:'),
  })
  .superRefine((env, ctx) => {
    const set = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter(
      (k) => env[k] !== undefined,
    );
    if (set.length > 1) {
      ctx.addIssue({ code: 'custom', path: [set[1] ?? ''], message: `set only one of ${set.join(', ')}` });
    }
    if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_SENTINEL_NAME'],
        message: 'required with REDIS_SENTINELS (the master group name)',
      });
    }
    if (env.REDIS_SENTINEL_NAME && !env.REDIS_SENTINELS) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_SENTINELS'],
        message: 'required with REDIS_SENTINEL_NAME',
      });
    }
    // One hash tag in the prefix would put every key in one slot: the cluster would hold all of
    // Parley's data on a single master.
    if (env.REDIS_CLUSTER_NODES && /[{}]/.test(env.REDIS_PREFIX)) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_PREFIX'],
        message: 'must not contain { or } on a cluster (it would put every key on one node)',
      });
    }
  });

/**
 * Reads the store variables (see the README's "Scaling" section) into a {@link StoreConfig}.
 * No Redis variable gives `{ kind: 'memory' }`. Throws a `config_invalid` ParleyError naming the
 * variable when a value is malformed or the variables contradict each other.
 */
export function parseStoreEnv(env: Record<string, string | undefined>): StoreConfig {
  const result = storeEnvSchema.safeParse(env);
  if (!result.success) {
    const msg = result.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`).join('; ');
    throw new ParleyError('config_invalid', `Invalid environment: ${msg}`);
  }
  const e = result.data;
  const auth = (tlsFromUrl: boolean): RedisAuth => ({
    tls: e.REDIS_TLS ?? (tlsFromUrl || e.REDIS_TLS_CA_FILE !== undefined),
    ...(e.REDIS_TLS_CA_FILE !== undefined && e.REDIS_TLS !== false && { tlsCa: e.REDIS_TLS_CA_FILE }),
    ...(e.REDIS_USERNAME !== undefined && { username: e.REDIS_USERNAME }),
    ...(e.REDIS_PASSWORD !== undefined && { password: e.REDIS_PASSWORD }),
  });
  if (e.REDIS_URL) {
    return {
      kind: 'single',
      url: e.REDIS_URL,
      prefix: e.REDIS_PREFIX,
      ...auth(e.REDIS_URL.startsWith('rediss:')),
    };
  }
  if (e.REDIS_CLUSTER_NODES) {
    const { endpoints, tls } = e.REDIS_CLUSTER_NODES;
    return { kind: 'cluster', nodes: endpoints, prefix: e.REDIS_PREFIX, ...auth(tls) };
  }
  if (e.REDIS_SENTINELS && e.REDIS_SENTINEL_NAME) {
    const { endpoints, tls } = e.REDIS_SENTINELS;
    return {
      kind: 'sentinel',
      sentinels: endpoints,
      name: e.REDIS_SENTINEL_NAME,
      prefix: e.REDIS_PREFIX,
      ...(e.REDIS_SENTINEL_USERNAME !== undefined && { sentinelUsername: e.REDIS_SENTINEL_USERNAME }),
      ...(e.REDIS_SENTINEL_PASSWORD !== undefined && { sentinelPassword: e.REDIS_SENTINEL_PASSWORD }),
      ...auth(tls),
    };
  }
  return { kind: 'memory' };
}

/** A description for logs and the start-up banner: topology and hosts, never credentials. */
export function describeStore(config: StoreConfig): string {
  const hosts = (list: StoreEndpoint[]) => list.map((n) => `${n.host}:${n.port}`).join(', ');
  switch (config.kind) {
    case 'memory':
      return 'in-memory store';
    case 'single':
      return `Redis at ${redactUrl(config.url)}`;
    case 'cluster':
      return `Redis Cluster via ${hosts(config.nodes)}`;
    case 'sentinel':
      return `Redis "${config.name}" via sentinels ${hosts(config.sentinels)}`;
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return 'the configured URL';
  }
}
