import { Client, type ClientOptions } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { loadMcpServerEnv } from '../../mcp-server/config.js';
import { textOf } from '../helpers/mcp-client.js';

const REPO_ROOT = new URL('../..', import.meta.url).pathname;

/** Spawns the server the way the README says, with a client that fills forms in. */
async function connectStdioClient(options: ClientOptions = {}): Promise<Client> {
  const client = new Client(
    { name: 'stdio-test', version: '0.0.0' },
    { capabilities: { elicitation: { form: {} } }, ...options },
  );
  client.setRequestHandler('elicitation/create', async () => ({
    action: 'accept',
    content: { reporter: 'Terminal user', priority: 'urgent' },
  }));
  const transport = new StdioClientTransport({
    command: 'npx',
    args: ['tsx', 'mcp-server/main.ts', '--stdio'],
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent' },
    stderr: 'pipe',
  });
  await client.connect(transport);
  return client;
}

describe('the stdio entry', () => {
  it('serves a legacy client spawned as `npx tsx mcp-server/main.ts --stdio`', async () => {
    const client = await connectStdioClient();
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'create_ticket', 'survey']));
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'over stdio' } }))).toBe(
        'over stdio',
      );
      // No HTTP, so no token: the OAuth tools say so instead of answering for somebody.
      const whoami = await client.callTool({ name: 'whoami', arguments: {} });
      expect(whoami.isError).toBe(true);
      expect(textOf(whoami)).toContain('sign in');
    } finally {
      await client.close();
    }
  }, 30_000);
});

describe('the stdio entry, modern era', () => {
  it('negotiates 2026-07-28 and runs a form round', async () => {
    const client = await connectStdioClient({ versionNegotiation: { mode: 'auto' } });
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const result = await client.callTool({
        name: 'create_ticket_v2',
        arguments: { initial_description: 'From a terminal' },
      });
      expect(textOf(result)).toMatch(/^Created ticket T-\d+: From a terminal · priority urgent/);
    } finally {
      await client.close();
    }
  }, 30_000);
});

describe('the environment', () => {
  it('has working defaults', () => {
    expect(loadMcpServerEnv({})).toMatchObject({
      MCP_PORT: 3001,
      MCP_HOST: '127.0.0.1',
      AUTH_ISSUER: 'http://127.0.0.1:9000',
      MCP_ALLOWED_HOSTS: [],
      CALENDAR_WAIT_MS: 600_000,
    });
  });

  it('splits the allowed hosts and names a bad variable', () => {
    expect(loadMcpServerEnv({ MCP_ALLOWED_HOSTS: 'a.test, b.test,,' }).MCP_ALLOWED_HOSTS).toEqual([
      'a.test',
      'b.test',
    ]);
    expect(() => loadMcpServerEnv({ MCP_STATE_SECRET: 'short' })).toThrow(/MCP_STATE_SECRET/);
    expect(() => loadMcpServerEnv({ MCP_PORT: 'eighty' })).toThrow(/MCP_PORT/);
  });
});
