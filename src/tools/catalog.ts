/**
 * The tool catalog: which tools a person may use, under which names. Listing (every server in
 * parallel), the allow/deny lists and name resolution live here and nowhere else, so every call
 * path — a model's tool call, `/call`, autocomplete — passes the same rules.
 */
import type { Tool } from '@modelcontextprotocol/client';
import { isSignInRequired } from '../auth/sign-in-errors.js';
import type { ServerConfig } from '../config.js';
import { type Actor, identityKey } from '../conversation.js';
import { describeError, toParleyError } from '../errors.js';
import type { LlmTool } from '../llm.js';
import type { Logger } from '../logger.js';
import type { McpPool } from '../mcp/pool.js';
import { truncate } from '../text.js';
import {
  qualifiedName,
  SEP,
  splitQualified,
  ToolNameTable as Table,
  type ToolNameTable,
  type ToolRef,
} from './names.js';

export type ServerListing =
  | { server: ServerConfig; tools: Tool[] }
  | { server: ServerConfig; error: unknown };

/** A call's target, resolved and allowed. */
export type Resolved =
  | { ok: true; server: ServerConfig; tool: Tool; ref: ToolRef }
  /** The server wants the person to sign in before it even lists its tools. */
  | { ok: false; signIn: ServerConfig }
  /** Not callable: `forPerson` answers a direct command, `forModel` goes back to the model. */
  | { ok: false; forPerson: string; forModel: string };

export class ToolCatalog {
  constructor(
    private readonly pool: McpPool,
    private readonly logger: Logger,
  ) {}

  get servers(): ServerConfig[] {
    return this.pool.servers;
  }

  /** The config's allow and deny lists for one tool (deny wins). */
  allowed(server: ServerConfig, tool: string): boolean {
    if (server.tools.allow && !server.tools.allow.includes(tool)) return false;
    return !server.tools.deny?.includes(tool);
  }

  /**
   * Every server's allowed tools for the person, fetched in parallel, each within its listing
   * deadline (the pool's): a slow or failing server carries its error and never holds up the rest.
   */
  async list(actor: Actor): Promise<ServerListing[]> {
    return Promise.all(
      this.pool.servers.map(async (server): Promise<ServerListing> => {
        try {
          const tools = await this.pool.listTools(identityKey(actor), server.name);
          return { server, tools: tools.filter((t) => this.allowed(server, t.name)) };
        } catch (err) {
          return { server, error: err };
        }
      }),
    );
  }

  /** `server__tool` names of the tools the person may call. */
  async names(actor: Actor): Promise<string[]> {
    return (await this.list(actor)).flatMap((e) =>
      'tools' in e ? e.tools.map((t) => qualifiedName({ server: e.server.name, tool: t.name })) : [],
    );
  }

  /**
   * The tools as the model sees them, with the table that maps its names back, and one line for
   * the person naming the servers left out because they are unavailable (undefined when none;
   * a server that wants a sign-in first is not "unavailable").
   */
  async forModel(actor: Actor): Promise<{ tools: LlmTool[]; table: ToolNameTable; unavailable?: string }> {
    const listed: Array<{ ref: ToolRef; tool: Tool }> = [];
    const missing: string[] = [];
    for (const entry of await this.list(actor)) {
      if ('error' in entry) {
        this.logger.warn(
          { server: entry.server.name, err: describeError(entry.error) },
          'listing tools failed',
        );
        if (!isSignInRequired(entry.error)) missing.push(entry.server.title ?? entry.server.name);
        continue;
      }
      for (const tool of entry.tools)
        if (!taskOnly(tool)) listed.push({ ref: { server: entry.server.name, tool: tool.name }, tool });
    }
    const table = new Table(listed.map((l) => l.ref));
    const tools = listed.map(({ ref, tool }) => ({
      name: table.encode(ref) as string,
      description: truncate(tool.description ?? tool.title ?? tool.name, 1000),
      parameters: (tool.inputSchema as Record<string, unknown>) ?? { type: 'object', properties: {} },
    }));
    const unavailable =
      missing.length === 0
        ? undefined
        : `⚠️ ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} unavailable right now; I’m answering without ${missing.length === 1 ? 'it' : 'them'}.`;
    return { tools, table, ...(unavailable && { unavailable }) };
  }

  /**
   * Resolves a name to a callable tool. `via: 'model'` reads model-facing names (through the
   * listing's table); `via: 'person'` reads `server__tool`, or a bare tool name that exactly one
   * server has. A stored `ref` (a resumed call) is re-checked against the current rules.
   */
  async resolve(actor: Actor, name: string, via: 'model' | 'person' | ToolRef): Promise<Resolved> {
    let ref: ToolRef | undefined;
    if (typeof via === 'object') ref = via;
    else if (via === 'model') ref = (await this.forModel(actor)).table.decode(name);
    else {
      ref = splitQualified(
        name,
        this.pool.servers.map((s) => s.name),
      );
      if (!ref) {
        const bare = await this.matchBare(actor, name);
        if ('error' in bare) return { ok: false, forPerson: bare.error, forModel: `Error: ${bare.error}` };
        ref = bare.ref;
      }
    }
    const server = ref && this.pool.server(ref.server);
    if (!ref || !server) return notCallable(`There is no tool called “${name}”. Try \`/tools\`.`);
    if (!this.allowed(server, ref.tool))
      return notCallable(`The tool “${qualifiedName(ref)}” is not allowed here.`);
    let tools: Tool[];
    try {
      // A person naming a tool waits for its server's listing, not the turn's listing deadline.
      tools = await this.pool.listTools(identityKey(actor), server.name, { wait: true });
    } catch (err) {
      if (isSignInRequired(err)) return { ok: false, signIn: server };
      throw err;
    }
    const tool = tools.find((t) => t.name === ref.tool);
    if (!tool) return notCallable(`${server.name} has no tool called “${ref.tool}”.`);
    if (taskOnly(tool)) return notCallable(`${qualifiedName(ref)}: ${TASK_ONLY}`);
    return { ok: true, server, tool, ref };
  }

  private async matchBare(actor: Actor, name: string): Promise<{ ref: ToolRef } | { error: string }> {
    const matches: ToolRef[] = [];
    for (const entry of await this.list(actor))
      if ('tools' in entry && entry.tools.some((t) => t.name === name))
        matches.push({ server: entry.server.name, tool: name });
    if (matches.length === 1) return { ref: matches[0] as ToolRef };
    if (matches.length > 1)
      return {
        error: `Several servers have a tool called “${name}”: ${matches.map((m) => `\`${qualifiedName(m)}\``).join(', ')}. Use one of those names.`,
      };
    return { error: `There is no tool called “${name}”. Try \`/tools\` (names are \`server${SEP}tool\`).` };
  }

  /** `/tools`: every server with its tools, or why it can't be reached. */
  async describe(actor: Actor): Promise<string> {
    const lines: string[] = [];
    for (const entry of await this.list(actor)) {
      const { server } = entry;
      if ('error' in entry) {
        lines.push(`**${server.name}**: ${toParleyError(entry.error).userMessage}`);
        continue;
      }
      lines.push(`**${server.title ?? server.name}** (\`${server.name}\`)`);
      for (const t of entry.tools) lines.push(...describeTool(server.name, t));
    }
    if (lines.some((l) => l.includes('\n    args: '))) lines.push('_Arguments marked * are required._');
    return lines.join('\n') || 'No MCP servers are configured.';
  }
}

/** Why a task-only tool is not offered (shown in `/tools` and to a call). */
export const TASK_ONLY =
  'runs only as an MCP task (`execution.taskSupport: "required"`), which Parley doesn’t support yet, so it isn’t offered.';

/** Tools a server will only run as MCP tasks (MCP 2025-11-25, "Tasks"). */
export function taskOnly(tool: Tool): boolean {
  return (tool as { execution?: { taskSupport?: unknown } }).execution?.taskSupport === 'required';
}

/**
 * A tool's lines in `/tools` (Markdown): its name and description, then its arguments compactly
 * — `name` type, `*` when required — from its `inputSchema` (JSON Schema). Task-only tools say
 * why they aren't offered.
 */
export function describeTool(server: string, tool: Tool): string[] {
  const flag = tool.annotations?.destructiveHint ? ' ⚠️' : '';
  const name = qualifiedName({ server, tool: tool.name });
  const head = `• \`${name}\`${flag} — ${truncate(tool.description ?? tool.title ?? '', 120)}`;
  if (taskOnly(tool)) return [`${head}\n    _Not available: ${TASK_ONLY}_`];
  const schema = tool.inputSchema as { properties?: unknown; required?: unknown } | undefined;
  const props =
    schema && typeof schema.properties === 'object' && schema.properties !== null
      ? Object.entries(schema.properties as Record<string, unknown>)
      : [];
  if (props.length === 0) return [head];
  const required = Array.isArray(schema?.required) ? schema.required : [];
  const args = props
    .slice(0, 12)
    .map(([arg, prop]) => `\`${arg}\`${required.includes(arg) ? '*' : ''} ${typeName(prop)}`);
  if (props.length > 12) args.push(`…${props.length - 12} more`);
  return [`${head}\n    args: ${args.join(' · ')}`];
}

/** A JSON Schema property's type in a few words: `string`, `list of string`, `one of a|b`. */
function typeName(prop: unknown): string {
  if (typeof prop !== 'object' || prop === null) return 'any';
  const p = prop as { type?: unknown; enum?: unknown; items?: unknown; format?: unknown };
  if (Array.isArray(p.enum) && p.enum.length > 0)
    return `one of ${truncate(p.enum.map(String).join('|'), 60)}`;
  if (p.type === 'array') return `list of ${typeName(p.items)}`;
  if (Array.isArray(p.type)) return p.type.map(String).join('|');
  if (typeof p.type === 'string') return typeof p.format === 'string' ? `${p.type} (${p.format})` : p.type;
  return 'any';
}

function notCallable(sentence: string): Resolved {
  return { ok: false, forPerson: sentence, forModel: `Error: ${sentence}` };
}
