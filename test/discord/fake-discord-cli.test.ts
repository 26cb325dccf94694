/**
 * `npm run fake-discord` as a newcomer uses it: the fake prints the environment, a real Parley
 * process started with it logs in to the gateway stand-in, and what the person types in the
 * fake's terminal — a mention, a slash command, a button, a modal — reaches Parley and back.
 * Real processes on free ports; the fake's terminal is driven through its stdin.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
});

function run(script: string, env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const io = { out: '', err: '' };
  child.stdout?.on('data', (c: Buffer) => {
    io.out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    io.err += c.toString();
  });
  return { child, io };
}

describe('npm run fake-discord', () => {
  it('prints the environment, and Parley started with it chats through the fake', async () => {
    const fake = run('test/helpers/fake-discord-cli.ts', {});
    await expect.poll(() => fake.io.out, { timeout: 20_000, interval: 100 }).toMatch(/npm start/);
    const env: Record<string, string> = {};
    for (const m of fake.io.out.matchAll(/^ {2}(DISCORD_[A-Z_]+)=(\S+)/gm))
      env[m[1] as string] = m[2] as string;
    expect(Object.keys(env).sort()).toEqual(['DISCORD_API_URL', 'DISCORD_APPLICATION_ID', 'DISCORD_TOKEN']);

    const parley = run('adapters/main/start.ts', { ...env, PORT: '0', AUTH_PORT: '0', MCP_PORT: '0' });
    await expect
      .poll(() => parley.io.err, { timeout: 60_000, interval: 100 })
      .toMatch(/Discord adapter running/);
    const type = (line: string) => fake.child.stdin?.write(`${line}\n`);

    type('hello there');
    await expect
      .poll(() => fake.io.out, { timeout: 30_000, interval: 100 })
      .toMatch(/No language model is configured/);

    type('/call demo__create_ticket_v2 {"initial_description":"From the fake"}');
    await expect.poll(() => fake.io.out, { timeout: 30_000, interval: 100 }).toMatch(/\[button 1\] Fill in/);
    type(':press 1');
    await expect.poll(() => fake.io.out, { timeout: 30_000, interval: 100 }).toMatch(/\[modal 1\]/);
    type(':submit 1 reporter=Ann priority=high');
    await expect
      .poll(() => fake.io.out, { timeout: 30_000, interval: 100 })
      .toMatch(/Created ticket T-\d+: From the fake · priority high · reported by Ann/);

    type(':quit');
    await new Promise((r) => fake.child.once('exit', r));
    parley.child.kill('SIGTERM');
    await new Promise((r) => parley.child.once('exit', r));
  }, 180_000);
});
