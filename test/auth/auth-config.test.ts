/** The `auth` entries of a server in the config file: what parses, and what is named when wrong. */
import { describe, expect, it } from 'vitest';
import { parseServersFile } from '../../src/config.js';

const file = (auth: unknown) =>
  JSON.stringify({ servers: [{ name: 'svc', url: 'https://mcp.example/mcp', auth }] });

describe('auth types in the servers file', () => {
  it('reads client_credentials with a secret or a key, and enterprise with its IdP', () => {
    const [basic] = parseServersFile(
      file({ type: 'client_credentials', clientId: 'c', clientSecret: 's' }),
      'f',
    );
    expect(basic?.auth).toEqual({
      type: 'client_credentials',
      clientId: 'c',
      clientSecret: 's',
      algorithm: 'RS256',
    });
    const [jwt] = parseServersFile(
      file({ type: 'client_credentials', clientId: 'c', privateKey: 'PEM', algorithm: 'ES256' }),
      'f',
    );
    expect(jwt?.auth).toMatchObject({ privateKey: 'PEM', algorithm: 'ES256' });
    const [xaa] = parseServersFile(
      file({
        type: 'enterprise',
        clientId: 'c',
        clientSecret: 's',
        idp: { issuer: 'https://idp.example', clientId: 'idp-client' },
      }),
      'f',
    );
    expect(xaa?.auth).toMatchObject({ type: 'enterprise', idp: { issuer: 'https://idp.example' } });
  });

  it('names what is missing', () => {
    expect(() => parseServersFile(file({ type: 'client_credentials', clientId: 'c' }), 'f')).toThrow(
      /clientSecret or privateKey/,
    );
    expect(() =>
      parseServersFile(
        file({ type: 'client_credentials', clientId: 'c', clientSecret: 's', method: 'private_key_jwt' }),
        'f',
      ),
    ).toThrow(/private_key_jwt needs privateKey/);
    // The server-level union reports this one only as an invalid entry (config.ts's structure).
    expect(() =>
      parseServersFile(file({ type: 'enterprise', clientId: 'c', clientSecret: 's' }), 'f'),
    ).toThrow(/servers\[0\]/);
  });
});
