/** Environment parsing of the demo auth server's entry point. */
import { describe, expect, it } from 'vitest';
import { AuthMockConfigError, loadAuthMockConfig } from '../../auth-mock/config.js';

describe('loadAuthMockConfig', () => {
  it('has loopback defaults', () => {
    expect(loadAuthMockConfig({})).toEqual({
      port: 9000,
      host: '127.0.0.1',
      issuer: undefined,
      autoApprove: undefined,
      resources: ['http://127.0.0.1:3001/mcp'],
      accessTokenTtlSeconds: 3600,
      refreshTokenTtlSeconds: 14 * 86400,
    });
  });

  it('reads every variable, blank ones as unset', () => {
    expect(
      loadAuthMockConfig({
        AUTH_PORT: '0',
        AUTH_HOST: '',
        AUTH_ISSUER: 'http://localhost:9000',
        AUTH_AUTO_APPROVE: 'bob',
        MCP_RESOURCE_URL: 'http://127.0.0.1:3001/mcp, http://127.0.0.1:3002/mcp',
        AUTH_ACCESS_TOKEN_TTL: '5',
      }),
    ).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      issuer: 'http://localhost:9000',
      autoApprove: 'bob',
      resources: ['http://127.0.0.1:3001/mcp', 'http://127.0.0.1:3002/mcp'],
      accessTokenTtlSeconds: 5,
    });
  });

  it('names each bad variable', () => {
    const attempt = () =>
      loadAuthMockConfig({ AUTH_PORT: 'abc', AUTH_AUTO_APPROVE: 'mallory', AUTH_ACCESS_TOKEN_TTL: '-1' });
    expect(attempt).toThrow(AuthMockConfigError);
    expect(attempt).toThrow(/AUTH_PORT[\s\S]*AUTH_AUTO_APPROVE[\s\S]*AUTH_ACCESS_TOKEN_TTL/);
  });
});
