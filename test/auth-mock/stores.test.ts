/** The bounded in-memory stores behind the demo auth server, with an injected clock. */
import { describe, expect, it } from 'vitest';
import { CalendarConsentStore, parseElicitationId } from '../../auth-mock/calendar-consent.js';
import { OidcMemoryStore } from '../../auth-mock/memory-adapter.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('OidcMemoryStore', () => {
  it('expires entries after the lifetime oidc-provider asks for', async () => {
    const time = clock();
    const store = new OidcMemoryStore({ now: time.now });
    const tokens = store.adapterFor('AccessToken');
    await tokens.upsert('a', { jti: 'a' }, 10);
    expect(await tokens.find('a')).toEqual({ jti: 'a' });
    time.advance(10_001);
    expect(await tokens.find('a')).toBeUndefined();
  });

  it('keeps models apart', async () => {
    const store = new OidcMemoryStore();
    await store.adapterFor('Client').upsert('x', { client_id: 'x' });
    expect(await store.adapterFor('AccessToken').find('x')).toBeUndefined();
  });

  it('revokes every token of a grant', async () => {
    const store = new OidcMemoryStore();
    const access = store.adapterFor('AccessToken');
    const refresh = store.adapterFor('RefreshToken');
    await access.upsert('at', { grantId: 'g1' }, 60);
    await refresh.upsert('rt', { grantId: 'g1' }, 60);
    await refresh.upsert('other', { grantId: 'g2' }, 60);
    await refresh.revokeByGrantId('g1');
    expect(await access.find('at')).toBeUndefined();
    expect(await refresh.find('rt')).toBeUndefined();
    expect(await refresh.find('other')).toBeDefined();
  });

  it('marks consumed entries and finds sessions by uid', async () => {
    const store = new OidcMemoryStore();
    const codes = store.adapterFor('AuthorizationCode');
    await codes.upsert('c', { grantId: 'g' }, 60);
    await codes.consume('c');
    expect((await codes.find('c'))?.consumed).toEqual(expect.any(Number));
    const sessions = store.adapterFor('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'alice' }, 60);
    expect((await sessions.findByUid('u1'))?.accountId).toBe('alice');
    await sessions.destroy('s1');
    expect(await sessions.findByUid('u1')).toBeUndefined();
  });

  it('stays within its cap, dropping what expires soonest', async () => {
    const store = new OidcMemoryStore({ maxEntries: 3 });
    const a = store.adapterFor('Interaction');
    await store.adapterFor('Client').upsert('forever', {});
    await a.upsert('short', {}, 10);
    await a.upsert('long', {}, 1000);
    await a.upsert('medium', {}, 100);
    expect(store.size).toBe(3);
    expect(await a.find('short')).toBeUndefined();
    expect(await store.adapterFor('Client').find('forever')).toBeDefined();
    expect(await a.find('long')).toBeDefined();
  });
});

describe('CalendarConsentStore', () => {
  it('forgets decisions after their lifetime', () => {
    const time = clock();
    const store = new CalendarConsentStore({ ttlMs: 1000, now: time.now });
    store.decide('a', 'approved');
    expect(store.status('a')).toBe('approved');
    time.advance(1000);
    expect(store.status('a')).toBe('pending');
  });

  it('keeps at most maxEntries decisions, oldest out first', () => {
    const store = new CalendarConsentStore({ maxEntries: 2 });
    store.decide('a', 'approved');
    store.decide('b', 'denied');
    store.decide('c', 'approved');
    expect(store.size).toBe(2);
    expect(store.status('a')).toBe('pending');
    expect(store.status('c')).toBe('approved');
  });

  it('lets the first decision stand', () => {
    const store = new CalendarConsentStore();
    expect(store.decide('a', 'denied')).toBe('denied');
    expect(store.decide('a', 'approved')).toBe('denied');
  });
});

describe('parseElicitationId', () => {
  it.each([
    ['abc', 'abc'],
    ['x'.repeat(256), 'x'.repeat(256)],
    ['', undefined],
    ['x'.repeat(257), undefined],
    ['a\nb', undefined],
    [['a'], undefined],
    [undefined, undefined],
  ])('%j → %j', (input, expected) => {
    expect(parseElicitationId(input)).toBe(expected);
  });
});
