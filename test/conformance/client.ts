/**
 * Parley's real MCP client layer, headless, for the official conformance suite
 * (`npm run conformance`, see test/conformance/run.sh). Usage: `tsx test/conformance/client.ts <server-url>`
 * — the suite appends the URL of its mock server as the last argument and names the scenario in
 * MCP_CONFORMANCE_SCENARIO (extra data, such as pre-registered credentials, in
 * MCP_CONFORMANCE_CONTEXT).
 *
 * Nothing here is a separate client: it is the bot — the Agent with its connection pool, the
 * sign-in service with its store-backed OAuth provider, Parley's HTTP server serving
 * /oauth/callback — driven by direct commands (`/tools`, `/call`) from a surface that plays the
 * person: it answers forms with their schema defaults, approves confirmations, and completes
 * sign-ins by following the authorization redirect (the suite's authorization server redirects
 * at once) back to Parley's callback.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from '../../src/agent.js';
import {
  followSignInLink,
  isSignInRequired,
  mountSignInRoutes,
  SignInService,
} from '../../src/auth/index.js';
import { serverSchema } from '../../src/config.js';
import { type Conversation, identityKey } from '../../src/conversation.js';
import { ParleyHttpServer } from '../../src/http.js';
import { formDefaults } from '../../src/interactions/form.js';
import { createLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/index.js';
import type { ChatSurface, OutboundMessage } from '../../src/surface.js';

/** The suite's mock authorization servers expect this client ID metadata URL (SEP-991 scenarios). */
const CONFORMANCE_CIMD_URL = 'https://conformance-test.local/client-metadata.json';
/** The tool the suite's auth scenarios serve, called before tools can be listed. */
const AUTH_SCENARIO_TOOL = 'test-tool';
const SERVER = 'conformance';

const conversation: Conversation = {
  platform: 'conformance',
  workspace: 'suite',
  channel: 'cli',
  user: 'tester',
};

/** What the suite passes in MCP_CONFORMANCE_CONTEXT (only the fields a scenario needs are set). */
interface Context {
  client_id?: string;
  client_secret?: string;
  /** auth/client-credentials-jwt: the key and algorithm for `private_key_jwt`. */
  private_key_pem?: string;
  signing_algorithm?: string;
  /** auth/cross-app-access-complete-flow: the person's ID token and the company IdP. */
  idp_id_token?: string;
  idp_issuer?: string;
  idp_token_endpoint?: string;
  idp_client_id?: string;
}

/** The server's `auth` entry, as a deployment would configure it for what the scenario tests. */
function authFor(scenario: string, context: Context): Record<string, unknown> {
  if (context.idp_id_token && context.idp_issuer && context.idp_client_id)
    return {
      type: 'enterprise',
      clientId: context.client_id,
      clientSecret: context.client_secret,
      idp: {
        issuer: context.idp_issuer,
        clientId: context.idp_client_id,
        ...(context.idp_token_endpoint && { tokenEndpoint: context.idp_token_endpoint }),
      },
    };
  if (scenario.startsWith('auth/client-credentials'))
    return {
      type: 'client_credentials',
      clientId: context.client_id,
      ...(context.private_key_pem
        ? { privateKey: context.private_key_pem, algorithm: context.signing_algorithm ?? 'ES256' }
        : { clientSecret: context.client_secret }),
    };
  return {
    type: 'oauth',
    ...(context.client_id && { clientId: context.client_id }),
    ...(context.client_secret && { clientSecret: context.client_secret }),
  };
}

/** Plays the person: prints what Parley says, answers what Parley asks. */
class HeadlessSurface implements ChatSurface {
  readonly platform = 'conformance';
  readonly problems: string[] = [];
  private readonly work = new Set<Promise<void>>();
  agent: Agent | undefined;

  async post(_conversation: Conversation, message: OutboundMessage): Promise<void> {
    switch (message.kind) {
      case 'text':
        process.stdout.write(`parley> ${message.text}\n`);
        if (/^(⚠️|Error:)/.test(message.text)) this.problems.push(message.text);
        return;
      case 'notice':
        process.stdout.write(`parley> ${message.text}\n`);
        this.problems.push(message.text);
        return;
      case 'progress':
      case 'closed':
      case 'stream':
        return;
      default:
        // Answer after the agent has finished posting (it registers what waits for the answer
        // right after this returns).
        this.later(() => this.answer(message));
    }
  }

  /** Resolves when nothing the surface started is still running and the agent is idle. */
  async settle(): Promise<void> {
    for (;;) {
      await this.agent?.whenIdle();
      if (this.work.size === 0) return;
      await Promise.allSettled([...this.work]);
    }
  }

  private later(job: () => Promise<void>): void {
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(job)
      .catch((err: unknown) => {
        this.problems.push(err instanceof Error ? err.message : String(err));
      })
      .finally(() => this.work.delete(run));
    this.work.add(run);
  }

  private async answer(
    message: Exclude<OutboundMessage, { kind: 'text' | 'progress' | 'notice' | 'closed' | 'stream' }>,
  ) {
    const agent = this.agent as Agent;
    if (message.kind === 'form') {
      process.stdout.write(`form> ${message.view.form.title}: accepting the defaults\n`);
      const reply = await agent.answer(message.view.id, conversation, {
        action: 'submit',
        values: formDefaults(message.view.form),
      });
      if (!reply.ok) this.problems.push(`form refused: ${reply.message}`);
      return;
    }
    if (message.kind === 'confirm') {
      await agent.answer(message.view.id, conversation, { action: 'approve' });
      return;
    }
    const view = message.view;
    process.stdout.write(`link> ${view.purpose}: ${view.url}\n`);
    if (view.purpose === 'signin') {
      const page = await followSignInLink(view.url);
      process.stdout.write(`link> the sign-in ended on: ${page.text.slice(0, 160)}\n`);
    } else if (view.purpose === 'consent') {
      await agent.answer(view.id, conversation, { action: 'open' });
    } else {
      await agent.answer(view.id, conversation, { action: 'done' });
    }
  }
}

/** Arguments for a tool from its input schema: defaults, else a plain value of the right type. */
function sampleArguments(schema: unknown): Record<string, unknown> {
  const properties = (schema as { properties?: Record<string, { type?: unknown; default?: unknown }> })
    ?.properties;
  const args: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(properties ?? {})) {
    if (prop.default !== undefined) args[name] = prop.default;
    else if (prop.type === 'number' || prop.type === 'integer') args[name] = 2;
    else if (prop.type === 'boolean') args[name] = true;
    else if (prop.type === 'array') args[name] = [];
    else if (prop.type === 'object') args[name] = {};
    else args[name] = 'test';
  }
  return args;
}

async function main(): Promise<number> {
  const serverUrl = process.argv.at(-1);
  if (!serverUrl?.startsWith('http')) {
    process.stderr.write('usage: conformance-client.ts <server-url>\n');
    return 2;
  }
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || '{}') as Context;
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', destination: process.stderr });

  const server = serverSchema.parse({
    name: SERVER,
    url: serverUrl,
    auth: authFor(scenario, context),
    // Conformance checks the protocol, not Parley's confirmation prompts.
    confirm: 'never',
  });
  const store = new MemoryStore();
  const http = new ParleyHttpServer({ store, logger, publicBaseUrl: 'http://127.0.0.1' });
  const port = await http.listen(0, '127.0.0.1');
  const signIn = new SignInService({
    store,
    secret: randomBytes(32).toString('base64url'),
    servers: [server],
    publicBaseUrl: `http://127.0.0.1:${port}`,
    clientMetadataUrl: process.env.CONFORMANCE_CLIENT_METADATA_URL ?? CONFORMANCE_CIMD_URL,
    logger,
    // The person's company identity, as the IdP sign-in would have produced it.
    ...(context.idp_id_token && { identityAssertion: async () => context.idp_id_token }),
  });
  const surface = new HeadlessSurface();
  const agent = new Agent({ store, servers: [server], logger, signIn, requestTimeoutMs: 30_000 });
  surface.agent = agent;
  agent.attach(surface);
  mountSignInRoutes(http.app, { signIn, agent, logger });
  await agent.start();

  const say = async (text: string) => {
    process.stdout.write(`you> ${text}\n`);
    await agent.message(conversation, text);
    await surface.settle();
  };
  const listTools = async () => {
    try {
      return await (await agent.pool.get(identityKey(conversation), SERVER)).listTools();
    } catch (err) {
      if (isSignInRequired(err)) return undefined;
      throw err;
    }
  };

  try {
    // Connect and list, as `/tools` would; a server that wants a sign-in first gets one
    // through a call, exactly as a person's request would trigger it.
    await say('/tools');
    let tools = await listTools();
    const called = new Set<string>();
    if (!tools) {
      const name = scenario.startsWith('auth/') ? AUTH_SCENARIO_TOOL : 'unknown';
      await say(`/call ${SERVER}__${name} {}`);
      called.add(name);
      tools = (await listTools()) ?? [];
    }
    for (const tool of tools) {
      if (called.has(tool.name)) continue;
      await say(`/call ${SERVER}__${tool.name} ${JSON.stringify(sampleArguments(tool.inputSchema))}`);
    }
  } finally {
    await agent.stop();
    await http.close();
    await store.close();
  }
  if (surface.problems.length > 0) {
    process.stderr.write(`problems:\n- ${surface.problems.join('\n- ')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`conformance client failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
