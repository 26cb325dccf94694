/**
 * Which connections people share (issue 12 §2). A 2026-07-28 connection carries no session and
 * no server requests — input rounds come back in each call's own result, so the interaction
 * engine knows whose they are — and without per-person sign-in nothing on it is anyone's own:
 * the server sees the same requests from one connection as from many. Such connections are
 * shared, saving a connect and its memory per person. A 2025-11-25 session is the server's idea
 * of one client (servers keep per-session state, and its requests name no call), a stdio server
 * is a process of its own, and a signed-in connection carries a person's token: those stay per
 * person.
 */
import type { ServerConfig } from '../config.js';

/** Authentication that is the same for everyone (no per-person sign-in). */
const SAME_FOR_EVERYONE = new Set(['none', 'headers', 'client_credentials']);

/** The identity part of a shared connection's pool key (no person's identity looks like it). */
export const SHARED_IDENTITY = '*';

/**
 * True when people may share connections to `server`, as far as its configuration tells: the
 * pool also stops sharing once it learns the server speaks only 2025-11-25.
 */
export function shareable(server: ServerConfig): boolean {
  return 'url' in server && SAME_FOR_EVERYONE.has(server.auth.type) && server.era !== 'legacy';
}
