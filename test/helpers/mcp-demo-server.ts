/**
 * Starts the demo MCP server on an ephemeral port next to an issuer stand-in, quiet, for one test
 * file. Close both in `afterAll`.
 */
import { pino } from 'pino';
import { type DemoMcpServer, type McpServerOptions, startMcpServer } from '../../mcp-server/server.js';
import { type IssuerStandIn, startIssuerStandIn } from './mcp-issuer-stand-in.js';

export interface DemoServerFixture {
  server: DemoMcpServer;
  issuer: IssuerStandIn;
  close(): Promise<void>;
}

export async function startDemoServerFixture(options: McpServerOptions = {}): Promise<DemoServerFixture> {
  const issuer = await startIssuerStandIn();
  const server = await startMcpServer({
    port: 0,
    authIssuer: issuer.url,
    logger: pino({ level: 'silent' }),
    ...options,
  });
  return {
    server,
    issuer,
    async close() {
      await server.close();
      await issuer.close();
    },
  };
}
