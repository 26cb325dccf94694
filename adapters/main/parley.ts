/**
 * The composition root: reads the environment once, starts what the environment asks for and
 * wires real implementations into the core. `npm start` and `npm run demo` both go through here.
 *
 * With no credentials it runs the whole product locally: the demo auth server, the demo MCP
 * server and the bot on the console adapter, with the in-memory store. REDIS_URL switches to
 * Redis; Slack or Discord credentials add (and replace the console with) those adapters.
 */
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { AuthMock } from '../../auth-mock/server.js';
import type { DemoMcpServer } from '../../mcp-server/server.js';
import { Agent } from '../../src/agent.js';
import { createSecretBox, createSignIn, mountSignInRoutes } from '../../src/auth/index.js';
import { usesSignIn } from '../../src/auth/provider.js';
import type { Env } from '../../src/config.js';
import { ParleyError } from '../../src/errors.js';
import { ParleyHttpServer } from '../../src/http.js';
import { type Llm, OpenAiLlm } from '../../src/llm.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { type MetricsServer, metrics, startMetricsServer } from '../../src/observability/metrics.js';
import { startTracing, type Tracing } from '../../src/observability/tracing.js';
import { createStore, describeStore, parseStoreEnv } from '../../src/store/index.js';
import { ConsoleAdapter } from '../console/console.js';
import { discordIdentityVerifier } from '../discord/identity.js';
import { createDiscordAdapter, type DiscordAdapter } from '../discord/index.js';
import { DEFAULT_SLACK_API_URL } from '../slack/config.js';
import { slackIdentityVerifier } from '../slack/identity.js';
import { createSlackAdapter, type SlackAdapter } from '../slack/index.js';
import { defaultServers, loadConfig } from './config.js';
import { prettyStderr } from './logs.js';

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
  /** The Prometheus endpoint's server, when METRICS_PORT is set. */
  metricsServer?: MetricsServer;
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

/**
 * The demo servers' modules, loaded only when the demo runs: the production image leaves them
 * (and their dependencies, such as oidc-provider) out.
 */
async function loadDemoServers(): Promise<{
  startAuthMock: typeof import('../../auth-mock/server.js').startAuthMock;
  startMcpServer: typeof import('../../mcp-server/server.js').startMcpServer;
}> {
  try {
    const [auth, mcp] = await Promise.all([
      import('../../auth-mock/server.js'),
      import('../../mcp-server/server.js'),
    ]);
    return { startAuthMock: auth.startAuthMock, startMcpServer: mcp.startMcpServer };
  } catch (err) {
    throw new ParleyError(
      'config_invalid',
      'No MCP servers are configured, and the demo servers are not installed here (the production image leaves them out). Mount a parley.config.json listing your MCP servers (or set PARLEY_CONFIG), or run `npm start` from a clone for the demo.',
      { cause: err },
    );
  }
}

/** The system prompt from PARLEY_SYSTEM_PROMPT or PARLEY_SYSTEM_PROMPT_FILE; undefined: built-in. */
export function systemPromptFromEnv(
  env: Partial<Pick<Env, 'PARLEY_SYSTEM_PROMPT' | 'PARLEY_SYSTEM_PROMPT_FILE'>>,
): string | undefined {
  if (env.PARLEY_SYSTEM_PROMPT) return env.PARLEY_SYSTEM_PROMPT;
  if (!env.PARLEY_SYSTEM_PROMPT_FILE) return undefined;
  let text: string;
  try {
    text = readFileSync(env.PARLEY_SYSTEM_PROMPT_FILE, 'utf8').trim();
  } catch (err) {
    throw new ParleyError(
      'config_invalid',
      `PARLEY_SYSTEM_PROMPT_FILE (${env.PARLEY_SYSTEM_PROMPT_FILE}) can't be read: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!text)
    throw new ParleyError(
      'config_invalid',
      `PARLEY_SYSTEM_PROMPT_FILE (${env.PARLEY_SYSTEM_PROMPT_FILE}) is empty.`,
    );
  return text;
}

export async function startParley(options: StartOptions = {}): Promise<RunningParley> {
  // Throws a config error naming the variable or field, or what a half-configured platform misses.
  const rawEnv = options.env ?? process.env;
  const config = loadConfig(rawEnv);
  const storeConfig = parseStoreEnv(rawEnv);
  const { env, demo, slack: slackSettings, discord: discordSettings } = config;
  if (storeConfig.kind !== 'memory' && !env.PARLEY_SECRET)
    throw new ParleyError(
      'config_invalid',
      'Redis is configured but PARLEY_SECRET is not: processes sharing a Redis must seal sign-in tokens, chat reply tokens and links with one shared secret, and a generated one would be private to this machine, so the others could not read what it stored. Set PARLEY_SECRET (at least 16 characters) to the same value everywhere.',
    );
  const systemPrompt = systemPromptFromEnv(env);
  const consoleMode = config.console.PARLEY_CONSOLE || (!slackSettings && !discordSettings);
  const logLevel = env.LOG_LEVEL ?? (consoleMode ? 'warn' : 'info');
  const logger =
    options.logger ??
    // In the terminal chat, JSON lines would interleave with the conversation: warnings only, as
    // readable lines on stderr (redirect it, `2>parley.log`, to keep them out of the chat).
    createLogger({
      level: logLevel,
      destination: consoleMode ? prettyStderr() : process.stderr,
    });

  const usingDemo = config.builtInServers && demo.PARLEY_DEMO_SERVERS !== 'off';

  let auth: AuthMock | undefined;
  let mcp: DemoMcpServer | undefined;
  if (usingDemo) {
    const authPort = options.ephemeralPorts ? 0 : demo.AUTH_PORT;
    const mcpPort = options.ephemeralPorts ? 0 : demo.MCP_PORT;
    // The demo servers only speak up for warnings — unless Parley's own level is quieter still.
    const quiet = logger.child({ component: 'demo' });
    if (quiet.levelVal < 40) quiet.level = 'warn';
    const { startAuthMock, startMcpServer } = await loadDemoServers();
    auth = await startAuthMock({
      port: authPort,
      ...(demo.AUTH_AUTO_APPROVE && { autoApprove: demo.AUTH_AUTO_APPROVE }),
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
    config.servers = defaultServers(mcp.url);
  }

  const tracing: Tracing | undefined = await startTracing(env, logger);
  metrics.setServers(config.servers.map((s) => s.name));
  const store = createStore({
    config: storeConfig,
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
  // Where the platform can vouch for a browser's user, sign-in links require it (issue 10 §4).
  const verifiers = [
    ...(slackSettings?.signInClient
      ? [
          slackIdentityVerifier({
            clientId: slackSettings.signInClient.id,
            clientSecret: slackSettings.signInClient.secret,
            apiUrl: slackSettings.apiUrl ?? DEFAULT_SLACK_API_URL,
          }),
        ]
      : []),
    ...(discordSettings?.clientSecret
      ? [
          discordIdentityVerifier({
            applicationId: discordSettings.applicationId,
            clientSecret: discordSettings.clientSecret,
            apiUrl: discordSettings.apiUrl,
          }),
        ]
      : []),
  ];
  // One sealing key for everything usable that reaches the store (issue 10 §4): sign-in data,
  // pending links, short links, Slack response URLs, Discord interaction tokens. Made whenever any
  // of them can be stored where others read it; only the console on the in-memory store with no
  // sign-in goes without (and so generates no secret file).
  const needsSealing =
    config.servers.some(usesSignIn) ||
    slackSettings !== undefined ||
    discordSettings !== undefined ||
    storeConfig.kind !== 'memory';
  const box = needsSealing ? createSecretBox({ env, logger }) : undefined;
  const sealerFor = (platform: string) => {
    if (!box) throw new Error(`internal: ${platform} is configured but no sealing key was made`);
    return box;
  };
  const signIn = createSignIn({
    env,
    servers: config.servers,
    store,
    logger,
    publicBaseUrl,
    verifiers,
    ...(box && { box }),
  });
  const agent = new Agent({
    signIn,
    sealer: box,
    store,
    servers: config.servers,
    logger,
    llm,
    pendingTtlMs: env.PENDING_TTL_SECONDS * 1000,
    sessionTtlMs: env.SESSION_TTL_SECONDS * 1000,
    historyMaxTurns: env.HISTORY_MAX_TURNS,
    historyTokenBudget: env.HISTORY_TOKEN_BUDGET,
    maxSteps: env.LLM_MAX_STEPS,
    vision: env.LLM_VISION === '1' || env.LLM_VISION === 'true',
    maxToolCalls: env.LLM_MAX_TOOL_CALLS,
    samplingMaxTokens: env.SAMPLING_MAX_TOKENS,
    requestTimeoutMs: env.MCP_REQUEST_TIMEOUT_MS,
    idleTimeoutMs: env.MCP_IDLE_TIMEOUT_MS,
    maxConnections: env.MCP_MAX_CONNECTIONS,
    rateLimits: {
      personPerMinute: env.RATE_LIMIT_PERSON_PER_MINUTE,
      workspacePerMinute: env.RATE_LIMIT_WORKSPACE_PER_MINUTE,
      tokensPerPersonPerHour: env.RATE_LIMIT_TOKENS_PER_PERSON_PER_HOUR,
    },
    ...(systemPrompt !== undefined && { systemPrompt }),
  });
  metrics.observePool(() => agent.pool.size);
  const http = new ParleyHttpServer({ store, logger, publicBaseUrl, sealer: box });
  // Adapters mount their routes (Slack HTTP mode, Discord interactions) before the server listens.
  const slack: SlackAdapter | undefined = slackSettings
    ? createSlackAdapter({
        agent,
        store,
        sealer: sealerFor('Slack'),
        http,
        logger: logger.child({ adapter: 'slack' }),
        ...slackSettings,
      })
    : undefined;
  if (slack) agent.attach(slack.surface);
  const discord: DiscordAdapter | undefined = discordSettings
    ? createDiscordAdapter({
        agent,
        store,
        sealer: sealerFor('Discord'),
        http,
        logger: logger.child({ adapter: 'discord' }),
        ...discordSettings,
      })
    : undefined;
  if (signIn) mountSignInRoutes(http.app, { signIn, agent, logger });
  if (slack) http.addReadinessCheck('slack', () => slack.connected);
  if (discord) http.addReadinessCheck('discord', () => discord.connected);
  const port = options.ephemeralPorts ? 0 : env.PORT;
  httpPort = await http.listen(port, env.HOST).catch((err: unknown) => {
    throw portError('Parley', 'PORT', port, err);
  });

  let metricsServer: MetricsServer | undefined;
  if (env.METRICS_PORT !== undefined) {
    const metricsPort = options.ephemeralPorts ? 0 : env.METRICS_PORT;
    metricsServer = await startMetricsServer({
      port: metricsPort,
      host: env.METRICS_HOST ?? env.HOST,
      token: env.METRICS_TOKEN,
    }).catch((err: unknown) => {
      throw portError('The metrics endpoint', 'METRICS_PORT', metricsPort, err);
    });
  }

  let consoleAdapter: ConsoleAdapter | undefined;
  if (consoleMode) {
    consoleAdapter = new ConsoleAdapter({
      agent,
      input: options.input ?? process.stdin,
      output: options.output ?? process.stdout,
      ...(options.echoInput !== undefined && { echoInput: options.echoInput }),
      followSignInLinks: config.console.PARLEY_FOLLOW_SIGNIN_LINKS,
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
        `Store: ${storeConfig.kind === 'memory' ? 'in memory (set REDIS_URL for Redis)' : describeStore(storeConfig)}`,
        llm
          ? `LLM: ${llm.description ?? 'a model supplied by the caller'}`
          : 'LLM: none (set OPENAI_API_KEY to chat in plain words; /tools and /call work without one)',
        options.logger
          ? ''
          : `Logs: ${logLevel} and above, as readable lines on stderr (LOG_LEVEL to change; 2>file to keep them apart)`,
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
    // Not ready from the first moment: load balancers stop sending while the rest winds down.
    http.beginShutdown();
    consoleAdapter?.close();
    // The adapters stop taking events at once; their in-flight turns may be waiting for a person
    // (up to PENDING_TTL_SECONDS), and stopping the agent is what ends those waits.
    const adaptersStopped = Promise.all([slack?.stop(), discord?.stop()]);
    await agent.stop();
    await adaptersStopped;
    await http.close(env.SHUTDOWN_DRAIN_SECONDS * 1000);
    await metricsServer?.close();
    await store.close();
    await mcp?.close();
    await auth?.close();
    await tracing?.shutdown();
  };
  return {
    agent,
    http,
    ...(metricsServer && { metricsServer }),
    ...(consoleAdapter && { consoleAdapter }),
    ...(mcp && { mcp }),
    ...(auth && { auth }),
    done: consoleAdapter?.run(),
    stop,
  };
}
