/**
 * A small real MCP server (2026-07-28 only) for tests that need tools the demo server doesn't
 * have: forms Parley must refuse, enormous option lists, overlong links. `register` adds the
 * tools; the server runs on a free loopback port.
 */
import { createServer } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';

export async function startMiniMcp(
  name: string,
  register: (server: McpServer) => void,
  options: { instructions?: string } = {},
): Promise<{
  url: string;
  close: () => Promise<void>;
  dropConnections: () => void;
  toolsChanged: () => void;
}> {
  const build = () => {
    const server = new McpServer({ name, version: '1.0.0' }, options);
    register(server);
    return server;
  };
  const mcp = createMcpHandler(build, { legacy: 'reject' });
  const handler = toNodeHandler(mcp);
  const http = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    /** Cuts every open connection, as a crash or a proxy would, with requests still out. */
    dropConnections: () => http.closeAllConnections(),
    /** Sends `notifications/tools/list_changed` to every client listening (`subscriptions/listen`). */
    toolsChanged: () => mcp.notify.toolsChanged(),
    close: () =>
      new Promise((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}
