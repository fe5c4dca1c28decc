import { isIPv6 } from 'node:net';
import { z } from 'zod';
import type { CheckOutcome } from './types.js';

/** The personal data the PII checks find, in the order overlapping findings are resolved. */
export const PII_ENTITIES = ['EMAIL', 'IBAN', 'CREDIT_CARD', 'US_SSN', 'IP_ADDRESS', 'PHONE'] as const;
export type PiiEntity = (typeof PII_ENTITIES)[number];

export const PiiConfig = z
  .object({
    entities: z
      .array(z.enum(PII_ENTITIES))
      .min(1)
      .default([...PII_ENTITIES])
      .describe('The kinds of personal data to look for.'),
    block: z
      .boolean()
      .default(false)
      .describe(
        'true: a finding trips the wire (the text is refused); false: findings are masked and the text passes.',
      ),
    mask_style: z
      .enum(['token', 'char'])
      .default('token')
      .describe('`token` replaces a finding with `<EMAIL>`-style tokens; `char` with `mask_char` repeated.'),
    mask_char: z.string().length(1).default('*').describe('The character of `char` masking.'),
  })
  .strict();
export type PiiConfig = z.output<typeof PiiConfig>;

/** One finding: offsets are UTF-16 indices into the text the check saw, end exclusive; never the value. */
export interface PiiFinding {
  entity: PiiEntity;
  start: number;
  end: number;
}

interface Span {
  start: number;
  end: number;
}

/** Luhn checksum of a digit string (payment card numbers). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616 mod-97 check of an IBAN (spaces removed, any case). */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) {
    return false;
  }
  const rearranged = s.slice(4) + s.slice(0, 4);
  let remainder = 0;
  for (const c of rearranged) {
    const value = c >= 'A' ? String(c.charCodeAt(0) - 55) : c;
    for (const digit of value) {
      remainder = (remainder * 10 + Number(digit)) % 97;
    }
  }
  return remainder === 1;
}

/** The pieces of a match separated by single spaces or dashes, with their offsets. */
function groups(text: string, offset: number): Span[] {
  return [...text.matchAll(/[A-Za-z0-9]+/g)].map((m) => ({
    start: offset + m.index,
    end: offset + m.index + m[0].length,
  }));
}

function findCards(text: string): Span[] {
  const found: Span[] = [];
  for (const m of text.matchAll(/(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g)) {
    // A card can sit among other numbers: the longest run of whole groups that passes Luhn wins.
    // For each last group, the Luhn sum grows leftwards one digit at a time (parity from the right).
    const parts = groups(m[0], m.index);
    let best: Span | undefined;
    for (let j = parts.length - 1; j >= 0; j--) {
      let sum = 0;
      let count = 0;
      for (let i = j; i >= 0 && count <= 19; i--) {
        const part = parts[i] as Span;
        for (let k = part.end - 1; k >= part.start; k--) {
          let d = text.charCodeAt(k) - 48;
          if (count % 2 === 1) {
            d = d * 2 > 9 ? d * 2 - 9 : d * 2;
          }
          sum += d;
          count++;
        }
        const span = { start: part.start, end: (parts[j] as Span).end };
        if (
          count >= 13 &&
          count <= 19 &&
          sum % 10 === 0 &&
          (!best || span.end - span.start > best.end - best.start)
        ) {
          best = span;
        }
      }
    }
    if (best) {
      found.push(best);
    }
  }
  return found;
}

function findIbans(text: string): Span[] {
  const found: Span[] = [];
  for (const m of text.matchAll(/\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?\b/g)) {
    // The pattern may run into the next word: try shorter prefixes of whole groups.
    const parts = groups(m[0], m.index);
    for (let j = parts.length - 1; j >= 0; j--) {
      const span = { start: m.index, end: (parts[j] as Span).end };
      if (ibanValid(text.slice(span.start, span.end))) {
        found.push(span);
        break;
      }
    }
  }
  return found;
}

function findSsns(text: string): Span[] {
  const found: Span[] = [];
  for (const m of text.matchAll(/(?<!\d)(\d{3})([- ])(\d{2})\2(\d{4})(?!\d)/g)) {
    const [area, group, serial] = [Number(m[1]), Number(m[3]), Number(m[4])];
    if (area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0) {
      found.push({ start: m.index, end: m.index + m[0].length });
    }
  }
  return found;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<!\\d|\\d\\.)(?:${OCTET}\\.){3}${OCTET}(?!\\d|\\.\\d)`, 'g');

function findIps(text: string): Span[] {
  const found: Span[] = [...text.matchAll(IPV4)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  for (const m of text.matchAll(
    /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])/g,
  )) {
    if (isIPv6(m[0]) && (m[0].match(/[0-9A-Fa-f]/g)?.length ?? 0) >= 3) {
      found.push({ start: m.index, end: m.index + m[0].length });
    }
  }
  return found;
}

function findPhones(text: string): Span[] {
  const found: Span[] = [];
  // Grouped numbers (`+44 20 7946 0958`, `(415) 555-2671`) or E.164 (`+14155552671`); 10–15 digits,
  // so dates, US SSN look-alikes and short numbers are not phones.
  const pattern =
    /(?<![\w+])(?:(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}|\(\d{1,4}\)[ .-]?\d{2,4}(?:[ .-]?\d{2,4}){1,3}|\+\d{8,15})(?!\w)/g;
  for (const m of text.matchAll(pattern)) {
    const digits = m[0].replace(/\D/g, '').length;
    if (digits >= 10 && digits <= 15) {
      found.push({ start: m.index, end: m.index + m[0].length });
    }
  }
  return found;
}

function findEmails(text: string): Span[] {
  // The lookbehind starts a match only at the beginning of a local part (no quadratic rescans).
  const pattern = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}/g;
  return [...text.matchAll(pattern)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

const DETECTORS: Record<PiiEntity, (text: string) => Span[]> = {
  EMAIL: findEmails,
  IBAN: findIbans,
  CREDIT_CARD: findCards,
  US_SSN: findSsns,
  IP_ADDRESS: findIps,
  PHONE: findPhones,
};

/** The findings of the named entities in `text`, in text order; overlaps go to the earlier entity of PII_ENTITIES. */
export function detectPii(text: string, entities: readonly PiiEntity[] = PII_ENTITIES): PiiFinding[] {
  const accepted: PiiFinding[] = [];
  // Characters already claimed by an accepted finding (linear, however many findings).
  const taken = new Uint8Array(text.length);
  for (const entity of PII_ENTITIES) {
    if (!entities.includes(entity)) {
      continue;
    }
    for (const span of DETECTORS[entity](text)) {
      if (!taken.subarray(span.start, span.end).includes(1)) {
        taken.fill(1, span.start, span.end);
        accepted.push({ entity, ...span });
      }
    }
  }
  return accepted.sort((a, b) => a.start - b.start);
}

/** `text` with each finding replaced: `<EMAIL>` tokens, or `maskChar` repeated over the finding's length. */
export function maskPii(
  text: string,
  findings: readonly PiiFinding[],
  style: 'token' | 'char' = 'token',
  maskChar = '*',
): string {
  let out = '';
  let at = 0;
  for (const f of [...findings].sort((a, b) => a.start - b.start)) {
    out += text.slice(at, f.start) + (style === 'token' ? `<${f.entity}>` : maskChar.repeat(f.end - f.start));
    at = f.end;
  }
  return out + text.slice(at);
}

/** The PII check: findings masked (default) or blocked. */
export function checkPii(text: string, config: PiiConfig): CheckOutcome {
  const findings = detectPii(text, config.entities);
  const counts: Partial<Record<PiiEntity, number>> = {};
  for (const f of findings) {
    counts[f.entity] = (counts[f.entity] ?? 0) + 1;
  }
  const flagged = findings.length > 0;
  const masked =
    flagged && !config.block ? maskPii(text, findings, config.mask_style, config.mask_char) : undefined;
  return {
    tripwire_triggered: flagged && config.block,
    flagged,
    confidence: flagged ? 1 : 0,
    ...(masked === undefined ? {} : { masked_content: masked }),
    details: { findings, counts, action: flagged ? (config.block ? 'block' : 'mask') : 'none' },
  };
}
