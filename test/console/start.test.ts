/**
 * `npm start` as a person runs it: no credentials, the demo servers and the console chat, input
 * piped in. (Ports 0 so the test never collides with a running Parley.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('npm start', () => {
  it('runs the whole product locally and chats on the console', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'adapters/main/start.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', AUTH_PORT: '0', MCP_PORT: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.stdin.end('/call demo__echo {"message":"started fine"}\n/quit\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/Servers: demo \(http:\/\/127\.0\.0\.1:\d+\/mcp\)/);
    expect(out).toMatch(/Store: in memory/);
    expect(out).toMatch(/LLM: none/);
    expect(out).toMatch(/parley> started fine/);
    // A whole product in a child process: start-up alone takes ~15 s on a loaded 2-core machine.
  }, 90_000);
});
