/**
 * Entry point of the demo MCP server: `npm run mcp-server` serves HTTP on
 * http://127.0.0.1:3001/mcp; `npm run mcp-server -- --stdio` serves one client over stdio.
 * The environment is read here, once; everything below takes parsed options.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { pino } from 'pino';
import { loadMcpServerEnv } from './config.js';
import { startMcpServer } from './server.js';
import { createDemoMcpServer, createDemoServerDeps } from './tools.js';

async function main(): Promise<void> {
  const env = loadMcpServerEnv();
  const stdio = process.argv.slice(2).includes('--stdio');
  // Logs go to stderr: on stdio, stdout carries the protocol itself.
  const logger = pino({ name: 'mcp-server', level: env.LOG_LEVEL }, pino.destination(2));

  if (stdio) {
    const deps = createDemoServerDeps({
      authIssuer: env.AUTH_ISSUER,
      calendarWaitMs: env.CALENDAR_WAIT_MS,
      stateSecret: env.MCP_STATE_SECRET,
      logger,
    });
    const handle = serveStdio(({ era }) => createDemoMcpServer(deps, era), {
      onerror: (err) => logger.warn({ err }, 'stdio transport error'),
    });
    const stop = (): void => {
      deps.calendar.close();
      void handle.close().finally(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // stdin closing ends the connection; nothing else keeps the process alive.
    logger.info('Parley demo MCP server serving one client on stdio');
    return;
  }

  const server = await startMcpServer({
    port: env.MCP_PORT,
    host: env.MCP_HOST,
    authIssuer: env.AUTH_ISSUER,
    publicUrl: env.MCP_PUBLIC_URL,
    allowedHosts: env.MCP_ALLOWED_HOSTS,
    calendarWaitMs: env.CALENDAR_WAIT_MS,
    stateSecret: env.MCP_STATE_SECRET,
    logger,
  });
  process.stdout.write(`Parley demo MCP server listening on ${server.url}\n`);
  const stop = (): void => {
    void server.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
