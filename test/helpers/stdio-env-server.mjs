// A real stdio MCP server with one tool, `env`, that answers with the environment it was started
// with — like server-everything's get-env. Plain JavaScript so it starts without a TypeScript
// loader. Run: node test/helpers/stdio-env-server.mjs
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

serveStdio(() => {
  const server = new McpServer({ name: 'env-printer', version: '1.0.0' });
  server.registerTool('env', { inputSchema: z.object({}) }, async () => ({
    content: [{ type: 'text', text: JSON.stringify(process.env) }],
  }));
  return server;
});
