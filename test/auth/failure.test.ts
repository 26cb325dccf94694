/** What a person reads when a sign-in fails: one sentence naming the server and what to do. */
import {
  IssuerMismatchError,
  OAuthError,
  OAuthErrorCode,
  RegistrationRejectedError,
} from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { signInFailure } from '../../src/auth/failure.js';
import { serverSchema } from '../../src/config.js';
import { ParleyError } from '../../src/errors.js';

const server = (auth: Record<string, unknown>) =>
  serverSchema.parse({ name: 'docs', title: 'Acme Docs', url: 'https://docs.example/mcp', auth });
const person = server({ type: 'oauth' });
const service = server({ type: 'client_credentials', clientId: 'c', clientSecret: 's' });

/** Marks an error the way the SDK's transport does when it escapes its auth seam. */
const throughAuthSeam = (err: Error) => Object.assign(err, { [Symbol.for('mcp.authSeamEscape')]: true });

describe('sign-in failures', () => {
  it('become one sentence naming the server, keeping the library text for the log', () => {
    const cases: Array<[ReturnType<typeof server>, unknown, RegExp]> = [
      [
        person,
        new IssuerMismatchError('metadata', 'https://a.example', 'https://b.example'),
        /check its OAuth settings/,
      ],
      [
        service,
        new OAuthError(OAuthErrorCode.InvalidClient, 'bad secret'),
        /refused Parley’s service credentials/,
      ],
      [service, new OAuthError(OAuthErrorCode.InvalidScope, 'no'), /check the scopes and credentials/],
      [person, new OAuthError(OAuthErrorCode.UnauthorizedClient, 'no'), /doesn’t accept Parley as an app/],
      [person, new OAuthError(OAuthErrorCode.AccessDenied, 'no'), /try `\/login docs` again/],
      [
        person,
        new RegistrationRejectedError({
          status: 403,
          body: 'nope',
          submittedMetadata: { redirect_uris: [] },
        }),
        /configure a client ID/,
      ],
      [person, throughAuthSeam(new TypeError('fetch failed')), /didn’t answer as expected; please try again/],
    ];
    for (const [config, err, sentence] of cases) {
      const failure = signInFailure(config, err);
      expect(failure?.code).toBe('auth_failed');
      expect(failure?.userMessage).toMatch(sentence);
      expect(failure?.userMessage).toMatch(/Acme Docs/);
      expect(failure?.userMessage.split(/[.!?](\s|$)/).filter((s) => s.trim()).length).toBe(1);
      expect(failure?.message).toContain((err as Error).message);
    }
  });

  it('leaves Parley’s own errors and unrelated failures alone', () => {
    expect(signInFailure(person, new ParleyError('auth_required', 'Sign in first.'))).toBeUndefined();
    expect(signInFailure(person, new Error('socket hang up'))).toBeUndefined();
  });
});
