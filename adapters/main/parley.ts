/**
 * The composition root: reads the environment once, starts what the environment asks for and
 * wires real implementations into the core. `npm start` and `npm run demo` both go through here.
 *
 * With no credentials it runs the whole product locally: the demo auth server, the demo MCP
 * server and the bot on the console adapter, with the in-memory store. REDIS_URL switches to
 * Redis; Slack or Discord credentials add (and replace the console with) those adapters.
 */
import type { Readable, Writable } from 'node:stream';
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import { type DemoMcpServer, startMcpServer } from '../../mcp-server/server.js';
import { Agent } from '../../src/agent.js';
import { createSignIn, mountSignInRoutes } from '../../src/auth/index.js';
import { DEFAULT_DEMO_MCP_URL, defaultServers, loadConfig } from '../../src/config.js';
import { ParleyHttpServer } from '../../src/http.js';
import { type Llm, OpenAiLlm } from '../../src/llm.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createStore } from '../../src/store/index.js';
import { ConsoleAdapter } from '../console/console.js';
import { createDiscordAdapter, type DiscordAdapter, discordSettingsFromEnv } from '../discord/index.js';
import { createSlackAdapter, type SlackAdapter, slackSettingsFromEnv } from '../slack/index.js';

export interface StartOptions {
  env?: Record<string, string | undefined>;
  input?: Readable;
  output?: Writable;
  /** Ports 0 for the demo servers and Parley's HTTP server (the demo and tests). */
  ephemeralPorts?: boolean;
  /** Replaces the LLM (the demo's deterministic stand-in when no API key is set). */
  llm?: Llm;
  /** Echo piped input lines into the transcript. */
  echoInput?: boolean;
  logger?: Logger;
}

export interface RunningParley {
  agent: Agent;
  http: ParleyHttpServer;
  consoleAdapter?: ConsoleAdapter;
  mcp?: DemoMcpServer;
  auth?: AuthMock;
  /** Resolves when the console chat ends (undefined without a console). */
  done: Promise<void> | undefined;
  stop(): Promise<void>;
}

function portError(what: string, variable: string, port: number, err: unknown): Error {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    return new Error(
      `${what} could not listen on port ${port}: it is in use (another Parley running?). Set ${variable} to another port.`,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}

export async function startParley(options: StartOptions = {}): Promise<RunningParley> {
  const rawEnv = options.env ?? process.env;
  const config = loadConfig(rawEnv);
  const env = config.env;
  // Both throw a config error naming what is missing when a platform is half configured.
  const slackSettings = slackSettingsFromEnv(env);
  const discordSettings = discordSettingsFromEnv(env);
  const consoleMode = env.PARLEY_CONSOLE === '1' || (!slackSettings && !discordSettings);
  const logger =
    options.logger ??
    // In the terminal chat, logs would interleave with the conversation: warnings only, on stderr.
    createLogger({
      level: rawEnv.LOG_LEVEL ? env.LOG_LEVEL : consoleMode ? 'warn' : 'info',
      destination: process.stderr,
    });

  const usingDemo = config.serversSource.startsWith('built-in') && env.PARLEY_DEMO_SERVERS !== 'off';

  let auth: AuthMock | undefined;
  let mcp: DemoMcpServer | undefined;
  if (usingDemo) {
    const authPort = options.ephemeralPorts ? 0 : env.AUTH_PORT;
    const mcpPort = options.ephemeralPorts ? 0 : env.MCP_PORT;
    // The demo servers only speak up for warnings — unless Parley's own level is quieter still.
    const quiet = logger.child({ component: 'demo' });
    if (quiet.levelVal < 40) quiet.level = 'warn';
    auth = await startAuthMock({
      port: authPort,
      ...(env.AUTH_AUTO_APPROVE && { autoApprove: env.AUTH_AUTO_APPROVE }),
      logger: quiet,
    }).catch((err: unknown) => {
      throw portError('The demo auth server', 'AUTH_PORT', authPort, err);
    });
    mcp = await startMcpServer({ port: mcpPort, authIssuer: auth.url, logger: quiet }).catch(
      async (err: unknown) => {
        await auth?.close();
        throw portError('The demo MCP server', 'MCP_PORT', mcpPort, err);
      },
    );
    auth.setResources([mcp.url]);
    if (mcp.url !== DEFAULT_DEMO_MCP_URL) config.servers = defaultServers(mcp.url);
  }

  const store = createStore({
    redisUrl: env.REDIS_URL,
    prefix: env.REDIS_PREFIX,
    logger,
    nodeEnv: env.NODE_ENV,
  });
  const llm =
    options.llm ??
    (env.OPENAI_API_KEY
      ? new OpenAiLlm({
          apiKey: env.OPENAI_API_KEY,
          baseURL: env.OPENAI_BASE_URL,
          model: env.OPENAI_MODEL,
        })
      : undefined);
  // Links back to Parley need its real port, known only once its HTTP server listens.
  let httpPort = env.PORT;
  const publicBaseUrl = () => (env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${httpPort}`).replace(/\/$/, '');
  const signIn = createSignIn({ env, servers: config.servers, store, logger, publicBaseUrl });
  const agent = new Agent({
    signIn,
    store,
    servers: config.servers,
    logger,
    llm,
    pendingTtlMs: env.PENDING_TTL_SECONDS * 1000,
    sessionTtlMs: env.SESSION_TTL_SECONDS * 1000,
    historyMaxTurns: env.HISTORY_MAX_TURNS,
    historyTokenBudget: env.HISTORY_TOKEN_BUDGET,
    maxSteps: env.LLM_MAX_STEPS,
    maxToolCalls: env.LLM_MAX_TOOL_CALLS,
    samplingMaxTokens: env.SAMPLING_MAX_TOKENS,
    requestTimeoutMs: env.MCP_REQUEST_TIMEOUT_MS,
    idleTimeoutMs: env.MCP_IDLE_TIMEOUT_MS,
    maxConnections: env.MCP_MAX_CONNECTIONS,
  });
  const http = new ParleyHttpServer({ store, logger, publicBaseUrl });
  // Adapters mount their routes (Slack HTTP mode, Discord interactions) before the server listens.
  const slack: SlackAdapter | undefined = slackSettings
    ? createSlackAdapter({ agent, store, http, logger: logger.child({ adapter: 'slack' }), ...slackSettings })
    : undefined;
  if (slack) agent.attach(slack.surface);
  const discord: DiscordAdapter | undefined = discordSettings
    ? createDiscordAdapter({
        agent,
        store,
        http,
        logger: logger.child({ adapter: 'discord' }),
        ...discordSettings,
      })
    : undefined;
  if (signIn) mountSignInRoutes(http.app, { signIn, agent, logger });
  const port = options.ephemeralPorts ? 0 : env.PORT;
  httpPort = await http.listen(port, env.HOST).catch((err: unknown) => {
    throw portError('Parley', 'PORT', port, err);
  });

  let consoleAdapter: ConsoleAdapter | undefined;
  if (consoleMode) {
    consoleAdapter = new ConsoleAdapter({
      agent,
      input: options.input ?? process.stdin,
      output: options.output ?? process.stdout,
      ...(options.echoInput !== undefined && { echoInput: options.echoInput }),
      followSignInLinks: env.PARLEY_FOLLOW_SIGNIN_LINKS,
    });
    agent.attach(consoleAdapter);
  }
  await agent.start();
  await slack?.start();
  await discord?.start();
  if (discord) logger.info('Discord adapter running');

  const out = options.output ?? process.stdout;
  if (consoleMode) {
    out.write(
      [
        `Servers: ${config.servers.map((s) => ('url' in s ? `${s.name} (${s.url})` : s.name)).join(', ')} — from ${config.serversSource}`,
        usingDemo && auth ? `Demo auth server: ${auth.url}` : '',
        `Store: ${env.REDIS_URL ? 'Redis' : 'in memory (set REDIS_URL for Redis)'}`,
        llm
          ? `LLM: ${env.OPENAI_MODEL}`
          : 'LLM: none (set OPENAI_API_KEY to chat in plain words; /tools and /call work without one)',
        '',
      ]
        .filter((l, i, all) => l !== '' || i === all.length - 1)
        .join('\n'),
    );
  }

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    consoleAdapter?.close();
    // The adapters stop taking events at once; their in-flight turns may be waiting for a person
    // (up to PENDING_TTL_SECONDS), and stopping the agent is what ends those waits.
    const adaptersStopped = Promise.all([slack?.stop(), discord?.stop()]);
    await agent.stop();
    await adaptersStopped;
    await http.close();
    await store.close();
    await mcp?.close();
    await auth?.close();
  };
  return {
    agent,
    http,
    ...(consoleAdapter && { consoleAdapter }),
    ...(mcp && { mcp }),
    ...(auth && { auth }),
    done: consoleAdapter?.run(),
    stop,
  };
}
