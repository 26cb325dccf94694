/**
 * A whole sign-in stack for tests, all real: the demo auth server (auto-approve), the demo MCP
 * server, Redis, and one or more Parley "processes" — each an Agent with the sign-in service and
 * its own HTTP server serving /oauth/callback — sharing one store prefix.
 */
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import { Agent } from '../../src/agent.js';
import { mountSignInRoutes, SignInService } from '../../src/auth/index.js';
import type { PlatformVerifier } from '../../src/auth/start.js';
import type { ServerConfig } from '../../src/config.js';
import { ParleyHttpServer } from '../../src/http.js';
import { type Logger, silentLogger } from '../../src/logger.js';
import { RedisStore } from '../../src/store/index.js';
import type { ChatSurface } from '../../src/surface.js';
import { type DemoMcp, demoServerConfig, startDemoMcp } from './demo.js';
import { redisUrl, testKeyPrefix } from './redis.js';

export const TEST_SECRET = 'test-secret-for-sign-in-0123456789';

export interface ParleyProcess {
  agent: Agent;
  signIn: SignInService;
  http: ParleyHttpServer;
  store: RedisStore;
  baseUrl: string;
  stop(): Promise<void>;
}

export interface AuthStackOptions {
  autoApprove?: string;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  era?: 'auto' | 'legacy';
  flowTtlMs?: number;
  label?: string;
}

export interface ProcessOptions {
  surface?: ChatSurface;
  /** For the token requests Parley makes itself (tests count refreshes with it). */
  fetch?: typeof fetch;
  secret?: string;
  /** PARLEY_SECRET_PREVIOUS: the secret before a rotation. */
  previousSecrets?: string[];
  logger?: Logger;
  /** Several processes behind one public URL share it (the callback may reach any of them). */
  publicBaseUrl?: string;
  /** The demo server's entry with other settings (say, pre-registered OAuth credentials). */
  server?: ServerConfig;
  /** More servers beside the demo one (with or without sign-in). */
  moreServers?: ServerConfig[];
  /** Platform checks of the browser's user (Sign in with Slack, Discord OAuth2). */
  verifiers?: PlatformVerifier[];
}

export interface AuthStack {
  auth: AuthMock;
  mcp: DemoMcp;
  server: ServerConfig;
  prefix: string;
  /** Starts another Parley process on the same store; stopped by `close`. */
  startProcess(options?: ProcessOptions): Promise<ParleyProcess>;
  close(): Promise<void>;
}

export async function startAuthStack(options: AuthStackOptions = {}): Promise<AuthStack> {
  const quiet = silentLogger();
  const auth = await startAuthMock({
    port: 0,
    autoApprove: options.autoApprove ?? 'alice',
    resources: [],
    logger: quiet,
    ...(options.accessTokenTtlSeconds !== undefined && {
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    }),
    ...(options.refreshTokenTtlSeconds !== undefined && {
      refreshTokenTtlSeconds: options.refreshTokenTtlSeconds,
    }),
  });
  const mcp = await startDemoMcp({ authIssuer: auth.url, logger: quiet });
  auth.setResources([mcp.url]);
  const server = demoServerConfig(mcp.url, {
    title: 'Parley demo',
    era: options.era ?? 'auto',
    auth: { type: 'oauth' },
  });
  const prefix = testKeyPrefix(options.label ?? 'signin');
  const processes: ParleyProcess[] = [];

  async function startProcess(p: ProcessOptions = {}): Promise<ParleyProcess> {
    const store = new RedisStore({ url: redisUrl(), prefix });
    const logger = p.logger ?? quiet;
    const http = new ParleyHttpServer({ store, logger, publicBaseUrl: 'http://127.0.0.1' });
    const port = await http.listen(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${port}`;
    const servers = [p.server ?? server, ...(p.moreServers ?? [])];
    const signIn = new SignInService({
      store,
      secret: p.secret ?? TEST_SECRET,
      ...(p.previousSecrets && { previousSecrets: p.previousSecrets }),
      servers,
      publicBaseUrl: p.publicBaseUrl ?? baseUrl,
      logger,
      ...(options.flowTtlMs !== undefined && { flowTtlMs: options.flowTtlMs }),
      ...(p.fetch && { fetch: p.fetch }),
      ...(p.verifiers && { verifiers: p.verifiers }),
    });
    const agent = new Agent({
      store,
      servers,
      logger,
      signIn,
      ...(options.flowTtlMs !== undefined && { pendingTtlMs: options.flowTtlMs }),
    });
    if (p.surface) agent.attach(p.surface);
    mountSignInRoutes(http.app, { signIn, agent, logger });
    await agent.start();
    const proc: ParleyProcess = {
      agent,
      signIn,
      http,
      store,
      baseUrl,
      async stop() {
        await agent.stop();
        await http.close();
        await store.close();
      },
    };
    processes.push(proc);
    return proc;
  }

  return {
    auth,
    mcp,
    server,
    prefix,
    startProcess,
    async close() {
      for (const p of processes.splice(0)) await p.stop().catch(() => undefined);
      await mcp.close();
      await auth.close();
    },
  };
}
