/**
 * The demo MCP server alone in a process of its own, for benchmarks: what it costs (its sessions,
 * its CPU) is never counted as Parley's. Sends `{ url }` to its parent once it listens.
 */
import { startMcpServer } from '../../mcp-server/server.js';
import { silentLogger } from '../../src/logger.js';

const mcp = await startMcpServer({ port: 0, logger: silentLogger() });
process.send?.({ url: mcp.url });
process.on('disconnect', () => process.exit(0));
