// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are this file's subject
/**
 * Configuration as a newcomer meets it: the environment, the server list in Parley's own form and
 * in the forms other tools use, `${VAR}` references, the wording of every error, the committed
 * JSON Schema and `.env.example`.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { demoEnvSchema, loadConfig } from '../../adapters/main/config.js';
import { configSchemaText } from '../../adapters/main/config-schema.js';
import { ENV_SCHEMAS } from '../../adapters/main/env-schemas.js';
import { authMockEnvSchema } from '../../auth-mock/config.js';
import { mcpServerEnvSchema } from '../../mcp-server/config.js';
import { parseServersFile, resolveEnvRefs } from '../../src/config.js';

const root = join(import.meta.dirname, '..', '..');
const tmp = () => mkdtempSync(join(tmpdir(), 'parley-cfg-'));
const parse = (file: unknown, env: Record<string, string> = {}) =>
  parseServersFile(JSON.stringify(file), 'cfg.json', env);
/** The error's sentence, for asserting its exact wording. */
const errorOf = (file: unknown, env: Record<string, string> = {}): string => {
  try {
    parse(file, env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the file to be refused');
};

describe('the environment', () => {
  it('defaults to the demo MCP server and an in-memory store', () => {
    const cfg = loadConfig({}, { cwd: tmp() });
    expect(cfg.servers).toEqual([
      expect.objectContaining({ name: 'demo', url: 'http://127.0.0.1:3001/mcp' }),
    ]);
    expect(cfg.builtInServers).toBe(true);
    expect(cfg.env.REDIS_URL).toBeUndefined();
    expect(cfg.env.PENDING_TTL_SECONDS).toBe(900);
    expect(cfg.env.MCP_REQUEST_TIMEOUT_MS).toBe(600_000);
    expect(cfg.slack).toBeUndefined();
    expect(cfg.discord).toBeUndefined();
  });

  it('places the built-in demo server on MCP_PORT', () => {
    expect(loadConfig({ MCP_PORT: '4555' }, { cwd: tmp() }).servers[0]).toMatchObject({
      url: 'http://127.0.0.1:4555/mcp',
    });
  });

  it('names the bad variable, whichever fragment owns it', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ OPENAI_BASE_URL: 'not a url' })).toThrow(/OPENAI_BASE_URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL: use one of fatal, error/);
    expect(() => loadConfig({ SLACK_COMMAND: 'parley' }, { cwd: tmp() })).toThrow(/SLACK_COMMAND/);
    expect(() => loadConfig({ DISCORD_API_URL: 'nope' }, { cwd: tmp() })).toThrow(/DISCORD_API_URL/);
    expect(() => loadConfig({ AUTH_AUTO_APPROVE: 'mallory' }, { cwd: tmp() })).toThrow(/AUTH_AUTO_APPROVE/);
  });
});

describe('the server list file', () => {
  it('reads PARLEY_CONFIG in Parley’s own form, with defaults filled in', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'good.json'),
      JSON.stringify({
        $schema: './src/parley.config.schema.json',
        servers: [{ name: 'files', command: 'node', args: ['x.js'], tools: { deny: ['rm'] } }],
      }),
    );
    const cfg = loadConfig({ PARLEY_CONFIG: 'good.json' }, { cwd: dir });
    expect(cfg.builtInServers).toBe(false);
    expect(cfg.servers[0]).toEqual({
      name: 'files',
      command: 'node',
      args: ['x.js'],
      env: {},
      auth: { type: 'none' },
      era: 'auto',
      confirm: 'destructive',
      tools: { deny: ['rm'] },
    });
    expect(() => loadConfig({ PARLEY_CONFIG: 'missing.json' }, { cwd: dir })).toThrow(/does not exist/);
  });

  it('reads the mcpServers form of Claude Desktop and .mcp.json', () => {
    const servers = parse(
      {
        mcpServers: {
          filesystem: {
            command: 'npx',
            args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv'],
            env: { LOG: 'quiet' },
          },
          'GitHub Tools': { type: 'http', url: 'https://api.example.com/mcp', headers: { 'X-Key': 'k' } },
          wiki: { url: 'https://wiki.example.com/mcp', auth: { type: 'oauth' }, confirm: 'always' },
          retired: { command: 'old-server', disabled: true },
        },
      },
      {},
    );
    expect(servers).toEqual([
      expect.objectContaining({
        name: 'filesystem',
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv'],
        env: { LOG: 'quiet' },
      }),
      expect.objectContaining({
        name: 'github-tools',
        title: 'GitHub Tools',
        url: 'https://api.example.com/mcp',
        auth: { type: 'headers', headers: { 'X-Key': 'k' } },
      }),
      expect.objectContaining({ name: 'wiki', auth: { type: 'oauth' }, confirm: 'always' }),
    ]);
  });

  it('reads VS Code’s servers object with stdio and http types', () => {
    const servers = parse({
      inputs: [],
      servers: {
        memory: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
        docs: { type: 'http', url: 'https://docs.example.com/mcp' },
      },
    });
    expect(servers.map((s) => [s.name, 'url' in s ? s.url : s.command])).toEqual([
      ['memory', 'npx'],
      ['docs', 'https://docs.example.com/mcp'],
    ]);
  });

  it('resolves ${VAR} and ${VAR:-default} from the environment in headers, env, url and args', () => {
    const env = { WIKI_TOKEN: 'secret-token', BASE: 'https://wiki.example.com', ROOT: '/srv/data' };
    const servers = parse(
      {
        servers: [
          {
            name: 'wiki',
            url: '${BASE}/mcp',
            auth: { type: 'headers', headers: { Authorization: 'Bearer ${WIKI_TOKEN}' } },
          },
          {
            name: 'files',
            command: 'npx',
            args: ['server-filesystem', '${ROOT}', '${EXTRA:-/tmp}'],
            env: { TOKEN: '${env:WIKI_TOKEN}', LITERAL: 'costs $${PRICE}' },
          },
        ],
      },
      env,
    );
    expect(servers[0]).toMatchObject({
      url: 'https://wiki.example.com/mcp',
      auth: { headers: { Authorization: 'Bearer secret-token' } },
    });
    expect(servers[1]).toMatchObject({
      args: ['server-filesystem', '/srv/data', '/tmp'],
      env: { TOKEN: 'secret-token', LITERAL: 'costs ${PRICE}' },
    });
    expect(resolveEnvRefs('${EMPTY:-fallback}', { EMPTY: '' })).toBe('fallback');
    expect(resolveEnvRefs('${EMPTY}', { EMPTY: '' })).toBe('');
  });

  it('reads ${VAR} through loadConfig from the same environment', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'parley.config.json'),
      JSON.stringify({ mcpServers: { a: { command: 'x', env: { KEY: '${A_KEY}' } } } }),
    );
    expect(loadConfig({ A_KEY: 'from-env' }, { cwd: dir }).servers[0]).toMatchObject({
      env: { KEY: 'from-env' },
    });
  });
});

describe('config errors say what is wrong, in words, with the field', () => {
  it.each([
    [
      { servers: [{ name: 'a' }] },
      'servers[0]: needs either `url` (a server over HTTP) or `command` (a server Parley starts)',
    ],
    [
      { servers: [{ name: 'a', url: 'http://x/mcp', command: 'x' }] },
      'servers[0]: has both `url` and `command`: use `url` for a server over HTTP, `command` to start one',
    ],
    [{ servers: [{ url: 'http://x/mcp' }] }, 'servers[0].name: is required'],
    [
      { servers: [{ name: 'Bad Name', url: 'http://x/mcp' }] },
      'servers[0].name: use 1–24 lowercase letters, digits, "-" or "_"',
    ],
    [
      { servers: [{ name: 'a', url: 'nope' }] },
      'servers[0].url: must be a full URL such as https://example.com/mcp',
    ],
    [
      { servers: [{ name: 'a', url: 'http://x/mcp', confirm: 'maybe' }] },
      'servers[0].confirm: must be one of "always", "never", "destructive"',
    ],
    [
      { servers: [{ name: 'a', url: 'http://x/mcp', auth: { type: 'oath' } }] },
      'servers[0].auth.type: must be one of "none", "oauth", "headers", "client_credentials", "enterprise"',
    ],
    [
      { servers: [{ name: 'a', url: 'http://x/mcp', auth: { type: 'oauth', client_id: 'x' } }] },
      'servers[0].auth: unknown field `client_id`',
    ],
    [{ servers: [{ name: 'a', command: 'x', args: '--flag' }] }, 'servers[0].args: must be a list'],
    [
      { servers: [{ name: 'a', command: 'x', env: { PORT: 8080 } }] },
      'servers[0].env.PORT: must be a string',
    ],
    [{ servers: [] }, 'servers: lists no server (at least one is needed)'],
    [
      {
        servers: [
          { name: 'a', url: 'http://x/mcp' },
          { name: 'a', command: 'x' },
        ],
      },
      'two servers are named "a"; names must differ',
    ],
    [{ servers: [{ name: 'a', url: 'http://x/mcp' }], extra: true }, 'unknown field `extra`'],
    [
      { servers: [{ name: 'a', url: 'http://x/mcp' }], mcpServers: {} },
      'has both `servers` and `mcpServers`: keep one list',
    ],
    [
      { mcpServers: { a: { command: 'x', env: { TOKEN: '${GH_TOKEN}' } } } },
      'mcpServers.a.env.TOKEN: ${GH_TOKEN}: the environment variable GH_TOKEN is not set (${GH_TOKEN:-…} gives a default)',
    ],
    [
      { mcpServers: { a: { type: 'sse', url: 'http://x/sse' } } },
      'mcpServers.a.type: "sse" (the old HTTP+SSE transport) is not supported: Parley speaks Streamable HTTP; most servers serve it at /mcp',
    ],
    [
      { servers: { fs: { type: 'stdio', command: 'npx', args: ['${input:dir}'] } } },
      'servers.fs.args[0]: ${input:dir} asks VS Code to prompt for a value; Parley reads the environment instead: use ${VAR}',
    ],
    [
      { mcpServers: { 'my wiki': { url: 'http://x/mcp', headers: { A: 'b' }, auth: { type: 'oauth' } } } },
      'mcpServers["my wiki"]: has both `headers` and `auth`: put the headers in `auth` or drop `auth`',
    ],
  ])('%j', (file, words) => {
    const message = errorOf(file);
    expect(message).toBe(`cfg.json is invalid: ${words}.`);
    expect(message).not.toMatch(/Invalid input/);
  });

  it('gives a hint for a file in another tool’s form', () => {
    expect(errorOf({ mcp: { servers: {} } })).toBe(
      'cfg.json is invalid: has no `servers` list. This looks like VS Code settings: copy the object under "mcp" into its own file ({"servers": {…}}).',
    );
    expect(errorOf({ context_servers: {} })).toMatch(/This looks like Zed settings/);
    expect(errorOf([{ name: 'a' }])).toMatch(
      /Parley reads \{"servers": \[\{"name": …, "url": …\}\]\} \(its own form\), \{"mcpServers"/,
    );
    expect(errorOf({ tools: [] })).toMatch(/has no `servers` list\. Parley reads/);
    expect(() => parseServersFile('{', 'cfg.json')).toThrow(/cfg\.json is not valid JSON/);
  });

  it('never puts a resolved secret in an error', () => {
    const message = errorOf(
      { servers: [{ name: 'a', url: '${URL}', auth: { type: 'headers', headers: { A: 1 } } }] },
      { URL: 'not-a-url-with-secret-sk-123' },
    );
    expect(message).not.toContain('sk-123');
    expect(message).toContain('servers[0].url: must be a full URL');
  });
});

describe('the committed JSON Schema', () => {
  it('is the one generated from the zod schema (npm run config:schema rewrites it)', () => {
    // Compared as JSON: the committed file is formatted by the linter like every other file.
    expect(JSON.parse(readFileSync(join(root, 'src', 'parley.config.schema.json'), 'utf8'))).toEqual(
      JSON.parse(configSchemaText()),
    );
  });
});

describe('.env.example', () => {
  const listed = new Map(
    readFileSync(join(root, '.env.example'), 'utf8')
      .split('\n')
      .map((line) => /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] as string, m[2] as string]),
  );
  const schemas = Object.entries(ENV_SCHEMAS) as [string, z.ZodObject][];

  it('lists every variable the environment schemas read, with its default', () => {
    const problems: string[] = [];
    for (const [owner, schema] of schemas) {
      for (const [name, field] of Object.entries(schema.shape)) {
        const value = listed.get(name);
        if (value === undefined) {
          problems.push(`${name} (${owner}) is missing`);
          continue;
        }
        const parsed = (field as z.ZodType).safeParse(undefined);
        const def = parsed.success ? parsed.data : undefined;
        const expected = Array.isArray(def) ? def.join(',') : typeof def === 'boolean' ? '' : def;
        if (expected !== undefined && String(expected) !== value && !(owner === 'core' && value === ''))
          problems.push(`${name} (${owner}) is listed as "${value}", its default is "${String(expected)}"`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lists nothing that no schema reads', () => {
    const read = new Set(schemas.flatMap(([, schema]) => Object.keys(schema.shape)));
    expect([...listed.keys()].filter((name) => !read.has(name))).toEqual([]);
  });
});

describe('the core reads no environment', () => {
  it('has no process.env in src/ (the composition root passes parsed values in)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const readers = files(join(root, 'src')).filter((file) =>
      // Mentions in backticks are prose in comments; anything else is a read.
      /(?<!`)process\.env(?!`)/.test(readFileSync(file, 'utf8')),
    );
    expect(readers.map((f) => f.slice(root.length + 1))).toEqual([]);
  });
});

describe('the README', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  it('shows config files that load, in both forms', () => {
    const section = readme.slice(readme.indexOf('### MCP servers'), readme.indexOf('## Console adapter'));
    // Whole config files (the auth section also shows single server entries).
    const examples = [...section.matchAll(/```json\n([\s\S]*?)```/g)]
      .map((m) => m[1] as string)
      .filter((e) => /"(servers|mcpServers)"/.test(e));
    expect(examples).toHaveLength(2);
    const env = { WIKI_TOKEN: 'w', GITHUB_TOKEN: 'g' };
    expect(parseServersFile(examples[0] as string, 'README', env).map((s) => s.name)).toEqual([
      'demo',
      'files',
      'wiki',
      'github',
    ]);
    expect(parseServersFile(examples[1] as string, 'README', env).map((s) => s.name)).toEqual([
      'filesystem',
      'wiki',
    ]);
  });

  it('documents every environment variable', () => {
    const names = Object.values(ENV_SCHEMAS).flatMap((schema) => Object.keys((schema as z.ZodObject).shape));
    expect(names.filter((name) => !readme.includes(`\`${name}\``) && !readme.includes(`${name}=`))).toEqual(
      [],
    );
  });
});

describe('the demo variables the composition root reads without importing the demo servers', () => {
  it('have the demo servers’ own defaults and users', () => {
    const ours = demoEnvSchema.parse({});
    expect(ours.AUTH_PORT).toBe(authMockEnvSchema.parse({}).AUTH_PORT);
    expect(ours.MCP_PORT).toBe(mcpServerEnvSchema.parse({}).MCP_PORT);
    for (const user of ['alice', 'bob', 'carol'])
      expect(authMockEnvSchema.parse({ AUTH_AUTO_APPROVE: user }).AUTH_AUTO_APPROVE).toBe(user);
    expect(() => authMockEnvSchema.parse({ AUTH_AUTO_APPROVE: 'mallory' })).toThrow();
    expect(() => demoEnvSchema.parse({ AUTH_AUTO_APPROVE: 'mallory' })).toThrow();
  });
});
