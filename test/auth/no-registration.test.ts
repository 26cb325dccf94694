/**
 * Sign-in to a server whose authorization server has no dynamic client registration: the person
 * is told to set `clientId`, and where, instead of "couldn't reach" or "didn't answer as expected".
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startParley } from '../../adapters/main/parley.js';
import { silentLogger } from '../../src/logger.js';

let server: Server;
let base = '';

beforeAll(async () => {
  // An MCP endpoint that wants a token, and an authorization server without registration_endpoint.
  server = createServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/mcp') {
      res.writeHead(401, {
        'www-authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
      });
      res.end();
    } else if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
      json({ resource: `${base}/mcp`, authorization_servers: [base] });
    } else if (
      req.url?.startsWith('/.well-known/oauth-authorization-server') ||
      req.url?.startsWith('/.well-known/openid-configuration')
    ) {
      json({
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
      });
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Runs Parley on the console with `auth` for the server, types `lines`; returns the transcript. */
async function chat(auth: Record<string, unknown>, lines: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-noreg-'));
  writeFileSync(
    join(dir, 'servers.json'),
    JSON.stringify({ servers: [{ name: 'corp', title: 'Corp wiki', url: `${base}/mcp`, auth }] }),
  );
  const input = new PassThrough();
  const output = new PassThrough();
  let transcript = '';
  output.on('data', (c: Buffer) => {
    transcript += c.toString();
  });
  const parley = await startParley({
    env: {
      PARLEY_CONFIG: join(dir, 'servers.json'),
      PARLEY_SECRET: 'a-test-secret-of-enough-length',
      PARLEY_SECRET_FILE: join(dir, 'secret'),
    },
    input,
    output,
    ephemeralPorts: true,
    logger: silentLogger(),
  });
  input.end(`${[...lines, '/quit'].join('\n')}\n`);
  await parley.done;
  await parley.stop();
  return transcript;
}

describe('a sign-in server without dynamic client registration', () => {
  it('tells the person to set clientId, and where, from a tool call and from /login', async () => {
    const transcript = await chat({ type: 'oauth' }, ['/call corp__search {}', '/login corp']);
    const said = [...transcript.matchAll(/parley> (.*)/g)].map((m) => m[1] as string);
    expect(said).toHaveLength(2);
    for (const line of said) {
      expect(line).toMatch(
        /^⚠️ Corp wiki’s sign-in server doesn’t let Parley register itself \(no dynamic client registration\)\. Register Parley there as an OAuth client with the redirect URL http:\/\/127\.0\.0\.1:\d+\/oauth\/callback, then set "clientId" \(and "clientSecret" if it gave one\) in the "auth" of server "corp" in parley\.config\.json \(or the file PARLEY_CONFIG names\)\.$/,
      );
    }
  });

  it('signs in once clientId is set, as the message says', async () => {
    const transcript = await chat({ type: 'oauth', clientId: 'parley-at-corp' }, ['/call corp__search {}']);
    // The console renders the core's Markdown (**Corp wiki** shows as plain text when piped).
    expect(transcript).toMatch(/Sign in to Corp wiki to continue/);
    // The person gets Parley's start link, in front of the sign-in server's page.
    expect(transcript).toMatch(/Link: http:\/\/\S+\/oauth\/start\/[\w-]+\n/);
    expect(transcript).toContain(`Host: ${new URL(base).host}`);
  });
});
