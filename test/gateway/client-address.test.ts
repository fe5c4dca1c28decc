import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../gateway/request-context.js';

describe('client address', () => {
  const headers = { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' };

  it('ignores X-Forwarded-For unless proxies are trusted (clients could forge it)', () => {
    expect(clientAddress(headers, '10.0.0.2', 0)).toBe('10.0.0.2');
  });

  it('takes the address the outermost trusted proxy saw', () => {
    expect(clientAddress(headers, '10.0.0.2', 1)).toBe('198.51.100.7');
    expect(clientAddress(headers, '10.0.0.2', 2)).toBe('203.0.113.9');
    // More trusted hops than entries: the leftmost address is the best there is.
    expect(clientAddress(headers, '10.0.0.2', 5)).toBe('203.0.113.9');
    expect(clientAddress({}, '10.0.0.2', 1)).toBe('10.0.0.2');
  });
});
