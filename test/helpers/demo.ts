/** Starts the real demo MCP server (and auth server) in-process on free ports. */
import { type AuthMock, startAuthMock } from '../../auth-mock/server.js';
import { startMcpServer } from '../../mcp-server/server.js';
import type { ServerConfig } from '../../src/config.js';
import { serverSchema } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';

export type DemoMcp = Awaited<ReturnType<typeof startMcpServer>>;

export async function startDemoMcp(options: Parameters<typeof startMcpServer>[0] = {}): Promise<DemoMcp> {
  return startMcpServer({ port: 0, calendarWaitMs: 5_000, ...options });
}

export function demoServerConfig(url: string, extra: Record<string, unknown> = {}): ServerConfig {
  return serverSchema.parse({ name: 'demo', url, ...extra });
}

/**
 * The demo auth server (auto-approving `alice`) and a demo MCP server that trusts it, with the
 * MCP URL accepted as a token audience. More MCP servers can be added with {@link startDemoMcp}
 * and `auth.setResources`.
 */
export async function startDemoWithAuth(): Promise<{ auth: AuthMock; mcp: DemoMcp; close(): Promise<void> }> {
  const auth = await startAuthMock({ port: 0, autoApprove: 'alice', logger: silentLogger() });
  const mcp = await startDemoMcp({ authIssuer: auth.url, logger: silentLogger() });
  auth.setResources([mcp.url]);
  return {
    auth,
    mcp,
    close: async () => {
      await mcp.close();
      await auth.close();
    },
  };
}
