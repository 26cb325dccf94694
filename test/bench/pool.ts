/**
 * `npm run bench:pool`: the MCP pool under many people at once with the default settings
 * (MCP_MAX_CONNECTIONS 200, 10 s wait for a slot), against the real demo MCP server in a child
 * process. Each person lists tools (through the per-server cache) and runs one `echo` that is
 * not marked repeatable, so a connection closed under it would fail the flow. Prints, per era and
 * crowd size: flows failed, wall time, flows/s, connects and tool listings sent to the server.
 *
 *   BENCH_PEOPLE  comma-separated crowd sizes (default 1,10,100,1000)
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serverSchema } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { McpConnection } from '../../src/mcp/connection.js';
import { McpPool } from '../../src/mcp/pool.js';

if (process.argv[2] === 'server') {
  const { startMcpServer } = await import('../../mcp-server/server.js');
  const mcp = await startMcpServer({ port: 0, logger: silentLogger() });
  process.send?.({ url: mcp.url });
} else {
  const child = fork(fileURLToPath(import.meta.url), ['server'], { execArgv: ['--import', 'tsx'] });
  const url = await new Promise<string>((resolve) =>
    child.once('message', (m: { url: string }) => resolve(m.url)),
  );
  const sizes = (process.env.BENCH_PEOPLE ?? '1,10,100,1000').split(',').map(Number);
  console.log('era     people  failed  wall ms  flows/s  connects  listings');
  for (const era of ['auto', 'legacy'] as const) {
    for (const people of sizes) {
      let connects = 0;
      let listings = 0;
      const pool = new McpPool({
        servers: [serverSchema.parse({ name: 'demo', url, era })],
        hooks: { request: async () => ({ action: 'decline' }), elicitationComplete: () => undefined },
        logger: silentLogger(),
        requestTimeoutMs: 600_000,
        idleTimeoutMs: 15 * 60_000,
        maxConnections: 200,
        createConnection: (options) => {
          connects += 1;
          const conn = new McpConnection(options);
          const list = conn.listTools.bind(conn);
          conn.listTools = (t?: number) => {
            listings += 1;
            return list(t);
          };
          return conn;
        },
      });
      const started = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: people }, async (_, i) => {
          const who = `bench:W:${era}-${people}-${i}`;
          await pool.listTools(who, 'demo');
          const conversation = { platform: 'bench', workspace: 'W', channel: who, user: who };
          const ctx = { conversation, server: 'demo', tool: 'echo' };
          return pool.use(who, 'demo', (c) => c.callTool(ctx, 'echo', { message: who }));
        }),
      );
      const wall = performance.now() - started;
      const failed = results.filter((r) => r.status === 'rejected');
      const line = [
        era.padEnd(7),
        String(people).padStart(6),
        String(failed.length).padStart(7),
        wall.toFixed(0).padStart(8),
        ((people / wall) * 1000).toFixed(0).padStart(8),
        String(connects).padStart(9),
        String(listings).padStart(9),
      ].join(' ');
      console.log(line);
      if (failed.length > 0)
        console.log('  first failure:', String((failed[0] as PromiseRejectedResult).reason));
      await pool.closeAll();
    }
  }
  child.kill();
}
