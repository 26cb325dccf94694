/**
 * Finds a Python with the official MCP SDK (`mcp` 2.x) for tests of servers written in Python:
 * PARLEY_TEST_PYTHON, the repository's `.venv-mcp` (made by `.ci/run`), or `python3`. Tests
 * skip with the reason when none has it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const SEED_SERVER = join(ROOT, 'test/servers/python/seed_server.py');

export function findPythonMcp(): { python: string } | { skip: string } {
  const candidates = [process.env.PARLEY_TEST_PYTHON, join(ROOT, '.venv-mcp/bin/python'), 'python3'].filter(
    (p): p is string => Boolean(p) && (!(p as string).includes('/') || existsSync(p as string)),
  );
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import mcp.server.mcpserver'], { timeout: 20_000 });
    if (probe.status === 0) return { python };
  }
  return {
    skip: 'no Python with the official `mcp` 2.x package (run `python3 -m venv .venv-mcp && .venv-mcp/bin/pip install mcp`, as .ci/run does)',
  };
}
