/** Starts the real demo MCP server (and auth server) in-process on free ports. */
import { startMcpServer } from '../../mcp-server/server.js';
import type { ServerConfig } from '../../src/config.js';
import { serverSchema } from '../../src/config.js';

export type DemoMcp = Awaited<ReturnType<typeof startMcpServer>>;

export async function startDemoMcp(options: Parameters<typeof startMcpServer>[0] = {}): Promise<DemoMcp> {
  return startMcpServer({ port: 0, calendarWaitMs: 5_000, ...options });
}

export function demoServerConfig(url: string, extra: Record<string, unknown> = {}): ServerConfig {
  return serverSchema.parse({ name: 'demo', url, ...extra });
}
