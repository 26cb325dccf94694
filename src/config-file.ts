/**
 * The MCP server list file (`parley.config.json`, or the file PARLEY_CONFIG names), in the form
 * people already have:
 * - Parley's own: `{"servers": [{"name", "url" | "command", …}]}` — the primary form, described by
 *   the JSON Schema `src/parley.config.schema.json` generated from {@link configFileSchema};
 * - Claude Desktop / Claude Code / Cursor (`.mcp.json`): `{"mcpServers": {"<name>": {…}}}`;
 * - VS Code (`.vscode/mcp.json`): `{"servers": {"<name>": {"type": "stdio" | "http", …}}}`.
 * String values may reference the environment — `${VAR}`, `${VAR:-default}`, VS Code's
 * `${env:VAR}` — resolved once, here, from the environment the entry point passed in. Every
 * problem is reported in words with the field's path ("servers[0]: needs either `url` or `command`").
 */
import type { z } from 'zod';
import { resolveEnvRefsDeep } from './env-refs.js';
import { ParleyError } from './errors.js';
import {
  FOREIGN_KEYS,
  foreignEntrySchema,
  httpServerSchema,
  type ServerConfig,
  stdioServerSchema,
} from './server-config.js';

export * from './server-config.js';

type Env = Record<string, string | undefined>;
type Problem = { path: string; message: string };

function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const part = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  if (!base) return part;
  return part.startsWith('"') ? `${base}[${part}]` : `${base}.${part}`;
}

const typeWords: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  record: 'an object',
};

function unknownFields(keys: string[]): string {
  return `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `\`${k}\``).join(', ')}`;
}

/** One zod issue in words: never "Invalid input". */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return valueAt(input, issue.path) === undefined
        ? 'is required'
        : `must be ${typeWords[issue.expected] ?? issue.expected}`;
    case 'unrecognized_keys':
      return unknownFields(issue.keys);
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a full URL such as https://example.com/mcp' : issue.message;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator)
        return `must be one of ${(issue as unknown as { options: unknown[] }).options.map((o) => JSON.stringify(o)).join(', ')}`;
      return 'has an unexpected shape';
    case 'too_small':
      return issue.origin === 'string'
        ? 'must not be empty'
        : issue.origin === 'array'
          ? `needs at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`
          : issue.message;
    default:
      return issue.message;
  }
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v = input;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** Validates one Parley entry (already resolved), choosing http or stdio by its fields. */
function parseEntry(entry: unknown, path: string, problems: Problem[]): ServerConfig | undefined {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    problems.push({ path, message: 'must be an object with `name` and either `url` or `command`' });
    return undefined;
  }
  const hasUrl = 'url' in entry;
  const hasCommand = 'command' in entry;
  if (hasUrl === hasCommand) {
    problems.push({
      path,
      message: hasUrl
        ? 'has both `url` and `command`: use `url` for a server over HTTP, `command` to start one'
        : 'needs either `url` (a server over HTTP) or `command` (a server Parley starts)',
    });
    return undefined;
  }
  const result = (hasUrl ? httpServerSchema : stdioServerSchema).safeParse(entry);
  if (result.success) return result.data;
  for (const issue of result.error.issues)
    problems.push({
      path: issue.path.reduce<string>((p, k) => joinPath(p, k as string | number), path),
      message: describeIssue(issue, entry),
    });
  return undefined;
}

/** A name Parley accepts, from another tool's free-form key ("GitHub Tools" → "github-tools"). */
function nameFromKey(key: string): string {
  return key
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 24)
    .replace(/-+$/, '');
}

/** An `mcpServers` / VS Code entry as a Parley entry; undefined when disabled or wrong. */
function fromForeign(key: string, raw: unknown, path: string, problems: Problem[]): unknown {
  const parsed = foreignEntrySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push({
        path: issue.path.reduce<string>((p, k) => joinPath(p, k as string | number), path),
        message: describeIssue(issue, raw),
      });
    return undefined;
  }
  const { type, headers, disabled, ...rest } = parsed.data as z.infer<typeof foreignEntrySchema> &
    Record<string, unknown>;
  if (disabled) return undefined;
  if (type === 'sse') {
    problems.push({
      path: `${path}.type`,
      message:
        '"sse" (the old HTTP+SSE transport) is not supported: Parley speaks Streamable HTTP; most servers serve it at /mcp',
    });
    return undefined;
  }
  for (const k of FOREIGN_KEYS) delete rest[k];
  const entry: Record<string, unknown> = { ...rest };
  const name = nameFromKey(key);
  entry.name = name || key;
  if (name !== key && entry.title === undefined) entry.title = key;
  if (headers) {
    if (rest.auth !== undefined) {
      problems.push({
        path,
        message: 'has both `headers` and `auth`: put the headers in `auth` or drop `auth`',
      });
      return undefined;
    }
    entry.auth = { type: 'headers', headers };
  }
  if (type === 'stdio' && !('command' in entry)) {
    problems.push({ path, message: 'is "type": "stdio" but has no `command`' });
    return undefined;
  }
  if ((type === 'http' || type === 'streamable-http') && !('url' in entry)) {
    problems.push({ path, message: `is "type": "${type}" but has no \`url\`` });
    return undefined;
  }
  return entry;
}

/** A hint for a file in a form Parley doesn't read, or undefined. */
function hintFor(raw: Record<string, unknown>): string | undefined {
  const mcp = raw.mcp as Record<string, unknown> | undefined;
  if (mcp && typeof mcp === 'object' && 'servers' in mcp)
    return 'This looks like VS Code settings: copy the object under "mcp" into its own file ({"servers": {…}}).';
  if ('context_servers' in raw)
    return 'This looks like Zed settings: Parley reads {"mcpServers": {…}} or {"servers": […]}.';
  if ('mcp_servers' in raw || 'mcp-servers' in raw) return 'The key is spelled "mcpServers".';
  return undefined;
}

const FORMS =
  'Parley reads {"servers": [{"name": …, "url": …}]} (its own form), {"mcpServers": {…}} (Claude Desktop, .mcp.json) or {"servers": {…}} (VS Code).';

/**
 * Parses a server list file's text. `source` names the file in errors; `env` resolves `${VAR}`.
 * Returns the servers in file order (disabled entries of other tools' forms left out).
 * Throws a `config_invalid` {@link ParleyError} listing every problem with its path, in words,
 * plus a hint when the file is in a form Parley doesn't read.
 */
export function parseServersFile(text: string, source: string, env: Env = {}): ServerConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ParleyError('config_invalid', `${source} is not valid JSON: ${(err as Error).message}`);
  }
  const fail = (problems: Problem[], hint?: string): never => {
    const list = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
    throw new ParleyError('config_invalid', `${source} is invalid: ${list}.${hint ? ` ${hint}` : ''}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return fail([{ path: '', message: 'the file must hold one JSON object' }], FORMS);
  const file = raw as Record<string, unknown>;
  if (file.mcpServers !== undefined && file.servers !== undefined)
    return fail([{ path: '', message: 'has both `servers` and `mcpServers`: keep one list' }]);
  const problems: Problem[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });
  // Each entry with the path its problems are reported under, in Parley's own shape.
  let entries: { path: string; entry: unknown }[];
  const mapKey =
    file.mcpServers !== undefined
      ? 'mcpServers'
      : file.servers && typeof file.servers === 'object' && !Array.isArray(file.servers)
        ? 'servers'
        : undefined;
  if (mapKey) {
    const map = file[mapKey];
    if (!map || typeof map !== 'object' || Array.isArray(map))
      return fail([{ path: mapKey, message: 'must be an object of servers by name' }]);
    entries = Object.entries(map as Record<string, unknown>).map(([name, value]) => {
      const path = joinPath(mapKey, name);
      return {
        path,
        entry: fromForeign(name, resolveEnvRefsDeep(value, env, path, report, joinPath), path, problems),
      };
    });
    entries = entries.filter((e) => e.entry !== undefined);
  } else if (Array.isArray(file.servers)) {
    const resolved = resolveEnvRefsDeep(file.servers, env, 'servers', report, joinPath) as unknown[];
    entries = resolved.map((entry, i) => ({ path: `servers[${i}]`, entry }));
    const extra = Object.keys(file).filter((k) => k !== 'servers' && k !== '$schema');
    if (extra.length > 0) problems.push({ path: '', message: unknownFields(extra) });
  } else {
    return fail([{ path: '', message: 'has no `servers` list' }], hintFor(file) ?? FORMS);
  }
  const servers: ServerConfig[] = [];
  for (const { path, entry } of entries) {
    const parsed = parseEntry(entry, path, problems);
    if (parsed) servers.push(parsed);
  }
  const seen = new Set<string>();
  for (const s of servers) {
    if (seen.has(s.name))
      problems.push({ path: '', message: `two servers are named "${s.name}"; names must differ` });
    seen.add(s.name);
  }
  if (problems.length === 0 && servers.length === 0)
    problems.push({ path: mapKey ?? 'servers', message: 'lists no server (at least one is needed)' });
  if (problems.length > 0) fail(problems);
  return servers;
}
