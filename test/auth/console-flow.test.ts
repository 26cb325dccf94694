/**
 * The whole sign-in, as a person at the console sees it: the real demo auth server (auto-approve)
 * and demo MCP server, Redis, the agent with sign-in, Parley's HTTP server for the callback, and
 * the console adapter following the printed link headlessly (PARLEY_FOLLOW_SIGNIN_LINKS).
 */
import { PassThrough } from 'node:stream';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleAdapter } from '../../adapters/console/console.js';
import { identityKey } from '../../src/conversation.js';
import { type AuthStack, type ParleyProcess, startAuthStack } from '../helpers/auth-stack.js';

/** Runs a console session for `user` with these input lines; resolves with its transcript. */
async function consoleSession(p: ParleyProcess, user: string, lines: string[]): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let transcript = '';
  output.on('data', (chunk: Buffer) => {
    transcript += chunk.toString('utf8');
  });
  const adapter = new ConsoleAdapter({
    agent: p.agent,
    input,
    output,
    user,
    echoInput: true,
    followSignInLinks: true,
  });
  p.agent.attach(adapter);
  input.end(lines.map((l) => `${l}\n`).join(''));
  await adapter.run();
  return transcript;
}

describe.each([
  ['modern (2026-07-28)', 'auto'],
  ['legacy (2025-11-25)', 'legacy'],
] as const)('sign-in through the console adapter, %s', (_label, era) => {
  let stack: AuthStack;
  let p: ParleyProcess;

  beforeAll(async () => {
    stack = await startAuthStack({ autoApprove: 'alice', label: `console-${era}`, era });
    p = await stack.startProcess();
  });
  afterAll(async () => stack?.close());

  it('asks alice to sign in, follows the link, and answers her original request as alice', async () => {
    expect((await p.agent.pool.get('test:W1:era-probe', 'demo')).era).toBe(
      era === 'auto' ? 'modern' : 'legacy',
    );
    const transcript = await consoleSession(p, 'alice', ['/call demo__whoami {}']);

    // The link is printed in full: Parley's start link (the authorization URL behind it, with
    // PKCE, state, resource and scope, is checked in binding.test.ts).
    const link = /Link: (http\S+)/.exec(transcript)?.[1] ?? '';
    expect(link.startsWith(`${p.baseUrl}/oauth/start/`)).toBe(true);

    // Told they are signed in, then the request that needed it is answered — as alice.
    // The console renders the core's Markdown: no `**` markers in what the person reads.
    const signedIn = transcript.indexOf('parley> ✅ You’re signed in to Parley demo.');
    const answer = transcript.indexOf('parley> alice');
    expect(signedIn).toBeGreaterThan(transcript.indexOf('Link: '));
    expect(answer).toBeGreaterThan(signedIn);
    // Tokens never show up in the chat.
    const stored = await p.signIn.vault.getTokens(
      identityKey({ platform: 'console', workspace: 'local', user: 'alice' }),
      'demo',
    );
    expect(stored?.tokens.access_token).toEqual(expect.any(String));
    expect(transcript).not.toContain(stored?.tokens.access_token as string);
    expect(decodeJwt(stored?.tokens.access_token as string)).toMatchObject({
      sub: 'alice',
      aud: stack.mcp.url,
    });
  });

  it('steps alice up to tickets:write when she adds a ticket, then bob signs in separately and sees only his', async () => {
    const alice = await consoleSession(p, 'alice', [
      '/call demo__add_my_ticket {"description":"Alice: VPN is down"}',
      '/call demo__list_my_tickets {}',
      '/whoami',
    ]);
    const aliceLinks = [...alice.matchAll(/Link: (http\S+)/g)].map((m) => new URL(m[1] as string));
    expect(aliceLinks).toHaveLength(1);
    expect(alice).toMatch(/Added ticket T-\d+ for alice: Alice: VPN is down/);
    expect(alice).toMatch(/parley> .*Alice: VPN is down/);
    expect(alice).toMatch(/Parley demo \(demo\): signed in — access: .*tickets:write/);

    stack.auth.setAutoApprove('bob');
    try {
      const bob = await consoleSession(p, 'bob', [
        '/call demo__whoami {}',
        '/call demo__add_my_ticket {"description":"Bob: new laptop"}',
        '/call demo__list_my_tickets {}',
      ]);
      expect(bob).toContain('parley> bob');
      expect(bob).toMatch(/Added ticket T-\d+ for bob: Bob: new laptop/);
      const listing = bob.slice(bob.lastIndexOf('/call demo__list_my_tickets'));
      expect(listing).toContain('Bob: new laptop');
      expect(listing).not.toContain('Alice');
    } finally {
      stack.auth.setAutoApprove('alice');
    }
  });
});
