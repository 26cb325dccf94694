/**
 * Connecting one MCP connection, as the pool does it: once more when the first attempt failed on
 * the connection itself (a socket kept alive from before a server restart fails the first
 * request), and every other failure worded for the person.
 */
import { signInFailure } from '../auth/failure.js';
import type { ServerConfig } from '../config.js';
import { describeError, isParleyError, ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { McpConnection } from './connection.js';
import { classifyFailure } from './failures.js';

/**
 * Connects a connection `make()` builds. Throws a ParleyError as it came (a sign-in, a stdio
 * server's start-up failure), or `mcp_unreachable` naming the server.
 */
export async function connectFresh(
  make: () => McpConnection,
  server: ServerConfig,
  logger: Logger,
): Promise<McpConnection> {
  let conn = make();
  try {
    try {
      await conn.connect();
    } catch (err) {
      if (classifyFailure(err) === 'other') throw err;
      conn = make();
      await conn.connect();
    }
  } catch (err) {
    if (isParleyError(err)) throw err;
    // A failed sign-in is not an unreachable server: say what failed and what to do.
    const signIn = signInFailure(server, err);
    if (signIn) {
      logger.warn({ server: server.name, err: signIn.message }, 'MCP sign-in failed');
      throw signIn;
    }
    logger.warn({ server: server.name, err: describeError(err) }, 'MCP connect failed');
    throw new ParleyError(
      'mcp_unreachable',
      `I couldn’t reach the MCP server "${server.title ?? server.name}". It may be down; please try again later.`,
      { cause: err, detail: describeError(err) },
    );
  }
  return conn;
}
