import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { z } from 'zod';
import type { CheckOutcome } from './types.js';

const Domain = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(?:\*\.)?[^\s/:@]+$/, 'A domain name such as "example.com" (optionally "*.example.com").');

export const UrlFilterConfig = z
  .object({
    allowed_domains: z
      .array(Domain)
      .max(500)
      .default([])
      .describe('When not empty, only URLs on these domains pass.'),
    blocked_domains: z
      .array(Domain)
      .max(500)
      .default([])
      .describe('URLs on these domains (and their subdomains) never pass.'),
    allow_subdomains: z
      .boolean()
      .default(true)
      .describe('An allowed domain also allows its subdomains (`docs.example.com` for `example.com`).'),
    allowed_schemes: z
      .array(z.string().regex(/^[a-z][a-z0-9+.-]*$/, 'A lowercase URL scheme such as "https".'))
      .min(1)
      .default(['https', 'http'])
      .describe('URL schemes that may pass.'),
    block_ip_literals: z
      .boolean()
      .default(true)
      .describe('Refuse URLs whose host is an IP address (`http://10.0.0.1/`, `http://[::1]/`).'),
    block_userinfo: z
      .boolean()
      .default(true)
      .describe('Refuse URLs with credentials before the host (`https://user:pass@host/`).'),
  })
  .strict();
export type UrlFilterConfig = z.output<typeof UrlFilterConfig>;

export type UrlVerdict =
  | 'allowed'
  | 'unparseable'
  | 'scheme_not_allowed'
  | 'userinfo'
  | 'ip_literal'
  | 'blocked_domain'
  | 'domain_not_allowed';

export interface UrlFinding {
  url: string;
  start: number;
  end: number;
  host: string;
  verdict: UrlVerdict;
}

/**
 * URLs in free text: `scheme://…`, `www.…`, and the schemes that run code without `//`
 * (`javascript:`, `data:`, `vbscript:`, `file:`). Bare domains (`example.com`) are not URLs here:
 * too many file names look like them.
 */
export function findUrls(text: string): { url: string; start: number; end: number }[] {
  const pattern =
    /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s<>"'`]+|\bwww\.[^\s<>"'`]+|\b(?:javascript|data|vbscript|file):[^\s<>"'`]+/gi;
  return [...text.matchAll(pattern)].map((m) => {
    const url = trimTrailing(m[0]);
    return { url, start: m.index, end: m.index + url.length };
  });
}

const count = (s: string, c: string) => s.split(c).length - 1;

/** Sentence punctuation after a URL is not part of it; a closing bracket is, when the URL opened it. */
function trimTrailing(url: string): string {
  let out = url;
  for (;;) {
    const last = out.at(-1) ?? '';
    const open = { ')': '(', ']': '[', '}': '{' }[last];
    if ('.,;:!?'.includes(last) && last !== '') {
      out = out.slice(0, -1);
    } else if (open && count(out, last) > count(out, open)) {
      out = out.slice(0, -1);
    } else {
      return out;
    }
  }
}

/** Lowercase ASCII (punycode) form of a configured domain, without `*.` or a trailing dot. */
export function normalizeDomain(domain: string): string {
  const bare = domain.trim().toLowerCase().replace(/^\*\./, '').replace(/\.$/, '');
  return domainToASCII(bare) || bare;
}

function onDomain(host: string, domain: string, subdomains: boolean): boolean {
  return host === domain || (subdomains && host.endsWith(`.${domain}`));
}

/** The verdict on one URL under the config (the WHATWG parser decides host, IDN and IP forms). */
export function judgeUrl(raw: string, config: UrlFilterConfig): { host: string; verdict: UrlVerdict } {
  let url: URL;
  try {
    url = new URL(/^www\./i.test(raw) ? `http://${raw}` : raw);
  } catch {
    return { host: '', verdict: 'unparseable' };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (!config.allowed_schemes.includes(url.protocol.slice(0, -1))) {
    return { host, verdict: 'scheme_not_allowed' };
  }
  if (config.block_userinfo && (url.username || url.password)) {
    return { host, verdict: 'userinfo' };
  }
  if (config.block_ip_literals && isIP(host)) {
    return { host, verdict: 'ip_literal' };
  }
  if (config.blocked_domains.some((d) => onDomain(host, normalizeDomain(d), true))) {
    return { host, verdict: 'blocked_domain' };
  }
  if (
    config.allowed_domains.length &&
    !config.allowed_domains.some((d) => onDomain(host, normalizeDomain(d), config.allow_subdomains))
  ) {
    return { host, verdict: 'domain_not_allowed' };
  }
  return { host, verdict: 'allowed' };
}

/** The URL filter: any URL that does not pass trips the wire. */
export function checkUrls(text: string, config: UrlFilterConfig): CheckOutcome {
  const urls: UrlFinding[] = findUrls(text).map((u) => ({ ...u, ...judgeUrl(u.url, config) }));
  const blocked = urls.filter((u) => u.verdict !== 'allowed');
  return {
    tripwire_triggered: blocked.length > 0,
    flagged: blocked.length > 0,
    confidence: blocked.length > 0 ? 1 : 0,
    details: { urls, blocked_count: blocked.length },
  };
}
