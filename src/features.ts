/**
 * More of MCP than tools (MCP 2025-11-25 §server/prompts, §server/resources, §lifecycle
 * `instructions`): `/prompts` and `/prompt <server__name>` (its arguments asked through the same
 * form machinery, then run through the model), `/resources`, the `read_resource` tool the model
 * may call, and the servers' instructions for the system prompt — each bounded.
 */
import type { GetPromptResult, Prompt } from '@modelcontextprotocol/client';
import type { ServerConfig } from './config.js';
import { type Actor, type Conversation, identityKey } from './conversation.js';
import { describeError, toParleyError } from './errors.js';
import type { Resolution } from './interactions/delivery.js';
import type { FormSpec } from './interactions/form.js';
import type { LlmMessage, LlmTool } from './llm.js';
import type { Logger } from './logger.js';
import type { McpConnection } from './mcp/connection.js';
import { DEFAULT_LIST_DEADLINE_MS } from './mcp/listing.js';
import type { McpPool } from './mcp/pool.js';
import { truncate } from './text.js';
import { qualifiedName, splitQualified } from './tools/names.js';
import { type ResultView, viewResult } from './tools/results.js';

/** The built-in tool the model reads resources with (no server tool name has no `__`). */
export const READ_RESOURCE_TOOL = 'read_resource';
/** Characters of one server's instructions in the system prompt, and of all of them. */
const INSTRUCTIONS_PER_SERVER = 2_000;
const INSTRUCTIONS_TOTAL = 6_000;
/** Lines per server in `/prompts` and `/resources`. */
const LIST_MAX = 25;

export interface FeaturesOptions {
  pool: McpPool;
  logger: Logger;
  /**
   * Shows a form to the person and waits for the answer (a live interaction of this process);
   * `undefined` when it couldn't be shown (the person was told why).
   */
  ask(conversation: Conversation, origin: string, form: FormSpec): Promise<Resolution | undefined>;
}

type Listing<T> = { server: ServerConfig; items: T[] } | { server: ServerConfig; error: unknown };

export class ServerFeatures {
  constructor(private readonly o: FeaturesOptions) {}

  /** `/prompts`: every server's prompts with their arguments (`*` = required). */
  async describePrompts(actor: Actor): Promise<string> {
    const lines: string[] = [];
    for (const entry of await this.each(actor, 'prompts', (c) => c.listPrompts())) {
      if ('error' in entry) {
        lines.push(`**${entry.server.name}**: ${toParleyError(entry.error).userMessage}`);
        continue;
      }
      if (entry.items.length === 0) continue;
      lines.push(`**${entry.server.title ?? entry.server.name}**`);
      for (const p of entry.items.slice(0, LIST_MAX)) {
        const args = (p.arguments ?? []).map((a) => `${a.name}${a.required ? '*' : ''}`).join(', ');
        const name = qualifiedName({ server: entry.server.name, tool: p.name });
        lines.push(
          `• \`${name}\`${args ? ` (${args})` : ''} — ${truncate(p.description ?? p.title ?? '', 120)}`,
        );
      }
      if (entry.items.length > LIST_MAX) lines.push(`…and ${entry.items.length - LIST_MAX} more.`);
    }
    return lines.length
      ? `${lines.join('\n')}\n\nRun one with \`/prompt <name>\`.`
      : 'None of the servers offers prompts.';
  }

  /**
   * `/resources`: every server's resources (name, URI, type). `readable`: a model is configured,
   * which reads one when asked in words (its `read_resource` tool); without one, asking can't work.
   */
  async describeResources(actor: Actor, readable: boolean): Promise<string> {
    const lines: string[] = [];
    for (const entry of await this.each(actor, 'resources', (c) => c.listResources())) {
      if ('error' in entry) {
        lines.push(`**${entry.server.name}**: ${toParleyError(entry.error).userMessage}`);
        continue;
      }
      if (entry.items.length === 0) continue;
      lines.push(`**${entry.server.title ?? entry.server.name}** (\`${entry.server.name}\`)`);
      for (const r of entry.items.slice(0, LIST_MAX))
        lines.push(`• ${r.title ?? r.name} — \`${r.uri}\`${r.mimeType ? ` (${r.mimeType})` : ''}`);
      if (entry.items.length > LIST_MAX) lines.push(`…and ${entry.items.length - LIST_MAX} more.`);
    }
    if (!lines.length) return 'None of the servers offers resources.';
    return readable
      ? `${lines.join('\n')}\n\nAsk me to read one, e.g. “read ${firstUri(lines)}”.`
      : `${lines.join('\n')}\n\nReading one takes a language model (set \`OPENAI_API_KEY\`).`;
  }

  /**
   * The servers' `instructions`, for the system prompt: each cut to 2,000 characters, all
   * together to 6,000; empty when none has any.
   */
  async instructions(actor: Actor): Promise<string> {
    const parts: string[] = [];
    await Promise.all(
      this.o.pool.servers.map(async (server, i) => {
        try {
          const text = (await this.connected(actor, server))?.instructions?.trim();
          if (text) parts[i] = `## ${server.name}\n${truncate(text, INSTRUCTIONS_PER_SERVER)}`;
        } catch {
          // Unreachable servers have no say; listing tools reports them.
        }
      }),
    );
    const all = parts.filter(Boolean).join('\n\n');
    return all ? `Instructions from the MCP servers:\n${truncate(all, INSTRUCTIONS_TOTAL)}` : '';
  }

  /** The `read_resource` tool, offered when some server has resources. */
  /**
   * The person's connection to a server within its listing deadline (`timeouts.listMs`, default
   * 3 s), or undefined: a stalled server never holds up a turn here either (the connect goes on).
   */
  private async connected(actor: Actor, server: ServerConfig): Promise<McpConnection | undefined> {
    const attempt = this.o.pool.get(identityKey(actor), server.name);
    attempt.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), server.timeouts?.listMs ?? DEFAULT_LIST_DEADLINE_MS);
    });
    try {
      return await Promise.race([attempt, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async readResourceTool(actor: Actor): Promise<LlmTool | undefined> {
    const servers: string[] = [];
    await Promise.all(
      this.o.pool.servers.map(async (s) => {
        try {
          if ((await this.connected(actor, s))?.offers('resources')) servers.push(s.name);
        } catch {
          // not reachable: not offered
        }
      }),
    );
    if (servers.length === 0) return undefined;
    return {
      name: READ_RESOURCE_TOOL,
      description: 'Reads a resource of an MCP server by its URI (see the servers’ resource lists).',
      parameters: {
        type: 'object',
        properties: {
          server: { type: 'string', enum: servers.sort(), description: 'The server that has the resource.' },
          uri: { type: 'string', description: 'The resource URI.' },
        },
        required: ['server', 'uri'],
      },
    };
  }

  /** Reads a resource for the model (the `read_resource` tool); bounded like a tool result. */
  async readResource(actor: Actor, argsJson: string, vision: boolean): Promise<ResultView> {
    let args: { server?: unknown; uri?: unknown };
    try {
      args = JSON.parse(argsJson || '{}') as typeof args;
    } catch {
      args = {};
    }
    const server = typeof args.server === 'string' ? this.o.pool.server(args.server) : undefined;
    const fail = (sentence: string): ResultView => ({
      forModel: `Error: ${sentence}`,
      forPerson: `⚠️ ${sentence}`,
      images: [],
      files: [],
    });
    if (!server || typeof args.uri !== 'string') return fail('read_resource needs a known server and a uri.');
    try {
      const result = await this.o.pool.use(identityKey(actor), server.name, (c) =>
        c.readResource(args.uri as string),
      );
      const content = result.contents.map((resource) => ({ type: 'resource' as const, resource }));
      return viewResult({ content } as never, { vision, origin: `${server.name} · ${READ_RESOURCE_TOOL}` });
    } catch (err) {
      this.o.logger.info({ server: server.name, err: describeError(err) }, 'reading a resource failed');
      return fail(`${server.name} could not read ${args.uri}.`);
    }
  }

  /**
   * `/prompt <server__name>`: asks the prompt's arguments with a form (when it has any), gets it,
   * and returns its messages for the model — or a sentence for the person when it can't.
   */
  async getPrompt(
    conversation: Conversation,
    name: string,
  ): Promise<{ ok: true; messages: LlmMessage[]; title: string } | { ok: false; message: string }> {
    const ref = splitQualified(
      name,
      this.o.pool.servers.map((s) => s.name),
    );
    const server = ref && this.o.pool.server(ref.server);
    if (!ref || !server)
      return { ok: false, message: `There is no prompt called “${name}”. Try \`/prompts\`.` };
    const identity = identityKey(conversation);
    let prompt: Prompt | undefined;
    try {
      prompt = (await (await this.o.pool.get(identity, server.name)).listPrompts()).find(
        (p) => p.name === ref.tool,
      );
    } catch (err) {
      return { ok: false, message: toParleyError(err).userMessage };
    }
    if (!prompt) return { ok: false, message: `${server.name} has no prompt called “${ref.tool}”.` };
    const values: Record<string, string> = {};
    if (prompt.arguments?.length) {
      const form: FormSpec = {
        title: truncate(prompt.title ?? prompt.name, 60),
        message: prompt.description ?? `Arguments for ${prompt.name}`,
        fields: prompt.arguments.map((a) => ({
          name: a.name,
          kind: 'text' as const,
          label: a.name,
          required: a.required === true,
          ...(a.description && { description: a.description }),
        })),
      };
      const answer = await this.o.ask(conversation, `${server.name} · ${prompt.name}`, form);
      if (!answer) return { ok: false, message: '' };
      if (answer.action !== 'accept')
        return { ok: false, message: `Okay — I didn’t run the prompt ${prompt.name}.` };
      for (const [k, v] of Object.entries(answer.content ?? {}))
        if (v !== undefined && v !== '') values[k] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    let result: GetPromptResult;
    try {
      result = await this.o.pool.use(identity, server.name, (c) => c.getPrompt(prompt.name, values), {
        repeatable: true,
      });
    } catch (err) {
      this.o.logger.info({ server: server.name, err: describeError(err) }, 'getting a prompt failed');
      return { ok: false, message: `${server.name} couldn’t give me the prompt ${prompt.name}.` };
    }
    return { ok: true, title: prompt.title ?? prompt.name, messages: promptMessages(result) };
  }

  private async each<T>(
    actor: Actor,
    capability: 'prompts' | 'resources',
    list: (c: McpConnection) => Promise<T[]>,
  ): Promise<Array<Listing<T>>> {
    return Promise.all(
      this.o.pool.servers.map(async (server): Promise<Listing<T>> => {
        try {
          const conn = await this.o.pool.get(identityKey(actor), server.name);
          return { server, items: conn.offers(capability) ? await list(conn) : [] };
        } catch (err) {
          return { server, error: err };
        }
      }),
    );
  }
}

/** A prompt's messages as the model reads them: text as is, anything else as its text view. */
export function promptMessages(result: GetPromptResult): LlmMessage[] {
  return result.messages.map((m) => {
    const view = viewResult({ content: [m.content] } as never, { vision: false, origin: 'the prompt' });
    const content = truncate(view.forModel, 24_000);
    return m.role === 'assistant' ? { role: 'assistant', content } : { role: 'user', content };
  });
}

function firstUri(lines: string[]): string {
  for (const l of lines) {
    const m = /`([^`]+)`/.exec(l);
    if (m && l.startsWith('•')) return m[1] as string;
  }
  return 'a resource';
}
