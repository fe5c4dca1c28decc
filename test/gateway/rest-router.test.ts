import { describe, expect, it } from 'vitest';
import { Router } from '../../rest-bridge/router.js';

const entry = (method: string, path: string) => ({ method, path, target: `${method} ${path}` });

describe('REST routing table', () => {
  it('fails at boot on a duplicate method and path shape', () => {
    expect(() => new Router([entry('GET', '/api/v1/a/{x}'), entry('GET', '/api/v1/a/{y}')])).toThrow(
      /duplicate REST route GET \/api\/v1\/a\/\{y\}/,
    );
    expect(() => new Router([entry('GET', '/api/v1/a'), entry('GET', '/api/v1/a')])).toThrow(/duplicate/);
    // Same path, other method: two routes, no conflict.
    expect(() => new Router([entry('GET', '/api/v1/a'), entry('POST', '/api/v1/a')])).not.toThrow();
  });

  it.each([
    ['literal first', [entry('GET', '/c/search'), entry('GET', '/c/{conversation_id}')]],
    ['parameter first', [entry('GET', '/c/{conversation_id}'), entry('GET', '/c/search')]],
  ])('lets a literal segment win over a parameter (%s)', (_order, entries) => {
    const router = new Router(entries);
    expect(router.match('GET', '/c/search')).toEqual({ kind: 'found', target: 'GET /c/search', params: {} });
    expect(router.match('GET', '/c/42')).toEqual({
      kind: 'found',
      target: 'GET /c/{conversation_id}',
      params: { conversation_id: '42' },
    });
  });

  it('prefers the literal segment leftmost, whatever the order', () => {
    const router = new Router([entry('GET', '/t/{id}/users'), entry('GET', '/t/me/{section}')]);
    expect(router.match('GET', '/t/me/users')).toMatchObject({ target: 'GET /t/me/{section}' });
    expect(router.match('GET', '/t/other/users')).toMatchObject({ target: 'GET /t/{id}/users' });
  });

  it('gives one match per request: route and decoded params, 405 with the allowed methods, or 404', () => {
    const router = new Router([entry('GET', '/a/{id}'), entry('DELETE', '/a/{id}'), entry('POST', '/a')]);
    expect(router.match('DELETE', '/a/x%2Fy%00')).toEqual({
      kind: 'found',
      target: 'DELETE /a/{id}',
      params: { id: 'x/y\u0000' },
    });
    expect(router.match('GET', '/a/1/')).toMatchObject({ kind: 'found', params: { id: '1' } });
    expect(router.match('PUT', '/a/1')).toEqual({ kind: 'method-not-allowed', allowed: ['GET', 'DELETE'] });
    expect(router.match('GET', '/a/%E0%A4%A')).toEqual({ kind: 'not-found' });
    expect(router.match('GET', '/a//')).toEqual({ kind: 'not-found' });
    expect(router.match('GET', '/b')).toEqual({ kind: 'not-found' });
  });
});
