/**
 * Token-aware chunking of extracted text, and OpenAI's `chunking_strategy` that configures it.
 *
 * Tokens are o200k_base (the GPT-4o / GPT-5 encoding), counted with gpt-tokenizer. The text is
 * split once into the tokenizer's own pre-tokens (its split regex: BPE never merges across them,
 * so a span's token count is the sum of its pre-tokens' counts); each distinct pre-token is counted
 * once. Cuts are then chosen on those pre-token boundaries, best kind first: paragraph, line,
 * sentence, word; inside a word only when a window has no other boundary (a long run of text
 * without spaces, CJK). Each chunk's text is counted exactly once at the end, so `tokenCount` is
 * the real count of `text` and never over `maxTokens`.
 */
import {
  countTokens as countO200k,
  decodeGenerator,
  encode,
  encodeGenerator,
} from 'gpt-tokenizer/encoding/o200k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import type { ChunkingOptions } from './chunking-strategy.js';
import type { ExtractedSection } from './extract.js';

/** User text is data: `<|endoftext|>` in a document is counted as the characters it is, never a special token. */
const PLAIN = { disallowedSpecial: new Set<string>() };

/** Tokens of a text in the o200k_base encoding. */
export function countTokens(text: string): number {
  return text ? countO200k(text, PLAIN) : 0;
}

/** One chunk of a file: `ordinal` from 0 in document order, `page` (1-based) the page it starts on. */
export interface TextChunk {
  ordinal: number;
  text: string;
  tokenCount: number;
  page?: number;
}

/** Boundary kinds, best last. */
const NONE = 0;
const WORD = 1;
const SENTENCE = 2; // a sentence end inside a line, or a plain line break
const SENTENCE_LINE = 3; // a line break after a sentence end
const PARAGRAPH = 4;

/** Pre-tokens longer than this many tokens (a long run without spaces) are split further. */
const LONG_UNIT_TOKENS = 32;
/** …into runs of about this many tokens. */
const LONG_UNIT_RUN = 4;

const SENTENCE_END = /[.!?…;:。！？；]/u;
const CLOSERS = /["'”’)\]»」』]/u;
const CJK_SENTENCE_END = /[。！？；]/u;

const isSpace = (c: string | undefined) =>
  c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\u00a0' || (!!c && c.trim() === '');

/**
 * Chunks of sections' text: none over `maxTokens` tokens, each after the first starting about
 * `overlapTokens` before the previous one ended, cut at the best boundary available. Sections are
 * joined by a blank line (a page break is a paragraph break) and chunks may span them; a chunk's
 * `page` is its first character's. Whitespace-only chunks are dropped; ordinals are 0…n-1.
 * `overlapTokens` is capped at half of `maxTokens` (as OpenAI caps it) so chunks always advance.
 */
export function chunkSections(sections: ExtractedSection[], options: ChunkingOptions): TextChunk[] {
  const maxTokens = Math.max(1, Math.floor(options.maxTokens));
  const overlap = Math.max(0, Math.min(Math.floor(options.overlapTokens), Math.floor(maxTokens / 2)));

  // One text, and where each section starts in it.
  const starts: number[] = [];
  const pages: (number | undefined)[] = [];
  let text = '';
  for (const section of sections) {
    if (!section.text.trim()) {
      continue;
    }
    if (text) {
      text += '\n\n';
    }
    starts.push(text.length);
    pages.push(section.page);
    text += section.text;
  }
  if (!text) {
    return [];
  }
  const pageAt = (offset: number): number | undefined => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return pages[lo];
  };

  const units = splitUnits(text);
  const counts = units.counts;
  const n = units.offsets.length - 1; // units; offsets and cum have a sentinel at n
  const offsets = units.offsets; // char offset where unit i starts; offsets[n] = text.length
  const cum = units.cum; // tokens before unit i; cum[n] = total
  const scores = new Int8Array(n + 1).fill(-1);
  const score = (i: number): number => {
    if (i <= 0 || i >= n) {
      return PARAGRAPH + 1; // the text's own ends
    }
    let s = scores[i] as number;
    if (s < 0) {
      s = boundaryScore(text, offsets[i] as number);
      scores[i] = s;
    }
    return s;
  };
  const isBlank = (i: number) => {
    for (let c = offsets[i] as number; c < (offsets[i + 1] as number); c++) {
      if (!isSpace(text[c])) {
        return false;
      }
    }
    return true;
  };
  /** Largest e in [from, n] with cum[e] ≤ limit (cum is non-decreasing). */
  const lastWithin = (from: number, limit: number): number => {
    let lo = from;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((cum[mid] as number) <= limit) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  };
  /** Smallest e in [from, n] with cum[e] ≥ limit. */
  const firstAtLeast = (from: number, limit: number): number => {
    let lo = from;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cum[mid] as number) >= limit) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  };

  // A cut is looked for between `minSpan` and `maxTokens` tokens from the chunk's start, so a
  // better boundary can make a chunk a little shorter, and chunks still advance by at least
  // (maxTokens - overlap) / 4 tokens each.
  const minSpan = overlap + Math.ceil((maxTokens - overlap) / 4);
  const chunks: TextChunk[] = [];
  let start = 0;
  while (start < n) {
    while (start < n && isBlank(start)) {
      start++;
    }
    if (start >= n) {
      break;
    }
    const base = cum[start] as number;
    let end: number;
    if ((cum[n] as number) - base <= maxTokens) {
      end = n;
    } else {
      const hi = Math.max(start + 1, lastWithin(start, base + maxTokens));
      const lo = Math.min(hi, Math.max(start + 1, firstAtLeast(start, base + minSpan)));
      end = best(lo, hi, score, 'latest');
      if (score(end) === NONE) {
        // No boundary in the preferred range: the latest word (or better) boundary before it, if any.
        for (let e = lo - 1; e > start; e--) {
          if (score(e) > NONE) {
            end = e;
            break;
          }
        }
      }
    }

    // The exact count of the trimmed text; a cut that re-tokenizes over the limit moves back.
    let chunkText = text.slice(offsets[start], offsets[end]).trim();
    let tokenCount = exactCount(chunkText, counts);
    while (tokenCount > maxTokens && end > start + 1) {
      let back = end - 1;
      while (back > start + 1 && score(back) === NONE) {
        back--;
      }
      end = score(back) === NONE ? end - 1 : back;
      chunkText = text.slice(offsets[start], offsets[end]).trim();
      tokenCount = exactCount(chunkText, counts);
    }
    if (chunkText) {
      const lead = (offsets[start] as number) + leadingSpace(text, offsets[start] as number);
      const page = pageAt(lead);
      chunks.push({ ordinal: chunks.length, text: chunkText, tokenCount, ...(page ? { page } : {}) });
    }
    if (end >= n) {
      break;
    }
    // The next chunk starts about `overlap` tokens back, at the best boundary of a short window.
    let next = end;
    if (overlap > 0) {
      const target = Math.max(start + 1, firstAtLeast(start, (cum[end] as number) - overlap));
      const until = Math.max(
        target,
        Math.min(end, lastWithin(target, (cum[target] as number) + overlap / 4)),
      );
      next = Math.min(end, best(target, until, score, 'earliest'));
    }
    start = Math.max(next, start + 1);
  }
  return chunks;
}

function leadingSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text[i])) {
    i++;
  }
  return i - from;
}

/** The index in [lo, hi] with the highest score; ties go to the latest or the earliest. */
function best(lo: number, hi: number, score: (i: number) => number, ties: 'latest' | 'earliest'): number {
  let bestIndex = ties === 'latest' ? hi : lo;
  let bestScore = score(bestIndex);
  if (ties === 'latest') {
    for (let i = hi - 1; i >= lo && bestScore < PARAGRAPH; i--) {
      const s = score(i);
      if (s > bestScore) {
        bestScore = s;
        bestIndex = i;
      }
    }
  } else {
    for (let i = lo + 1; i <= hi && bestScore < PARAGRAPH; i++) {
      const s = score(i);
      if (s > bestScore) {
        bestScore = s;
        bestIndex = i;
      }
    }
  }
  return bestIndex;
}

/** What kind of boundary the position `p` (between text[p-1] and text[p]) is. */
function boundaryScore(text: string, p: number): number {
  let a = p;
  while (a > 0 && isSpace(text[a - 1])) {
    a--;
  }
  let b = p;
  while (b < text.length && isSpace(text[b])) {
    b++;
  }
  if (a === b) {
    return CJK_SENTENCE_END.test(text[p - 1] ?? '') ? SENTENCE : NONE;
  }
  let newlines = 0;
  for (let i = a; i < b && newlines < 2; i++) {
    if (text[i] === '\n') {
      newlines++;
    }
  }
  if (newlines >= 2) {
    return PARAGRAPH;
  }
  let end = a - 1;
  while (end > 0 && CLOSERS.test(text[end] ?? '')) {
    end--;
  }
  const afterSentence = end >= 0 && SENTENCE_END.test(text[end] ?? '');
  if (newlines === 1) {
    return afterSentence ? SENTENCE_LINE : SENTENCE;
  }
  return afterSentence ? SENTENCE : WORD;
}

/**
 * The text's pre-tokens as units: where each starts, the running token count before each, and the
 * count of every distinct short pre-token (for `exactCount`). The tokenizer's own generator yields
 * one token array per pre-token of the same split regex, in order, so both walks stay in step and
 * each pre-token is BPE-encoded once. A pre-token of more than LONG_UNIT_TOKENS tokens (a long run
 * without spaces or punctuation) is cut into runs of its tokens at character boundaries (never
 * through a UTF-8 sequence), so such text can still be cut.
 */
function splitUnits(text: string): { offsets: Int32Array; cum: Int32Array; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const offsets: number[] = [];
  const tokens: number[] = [];
  const generator = encodeGenerator(text, PLAIN);
  for (const match of text.matchAll(O200K_TOKEN_SPLIT_REGEX)) {
    const piece = match[0];
    const at = match.index;
    const next = generator.next();
    const ids = !next.done && Array.isArray(next.value) ? next.value : encode(piece, PLAIN);
    if (piece.length <= 64) {
      counts.set(piece, ids.length);
    }
    if (piece.length > 1 && CJK_SENTENCE_END.test(piece[0] as string)) {
      // `。` opens the next pre-token (`。下一句`): split it off so the sentence end is a boundary.
      const mark = Math.min(ids.length, countTokens(piece[0] as string));
      offsets.push(at, at + 1);
      tokens.push(mark, ids.length - mark);
      continue;
    }
    if (ids.length <= LONG_UNIT_TOKENS) {
      offsets.push(at);
      tokens.push(ids.length);
      continue;
    }
    for (const [offset, count] of tokenRuns(ids)) {
      offsets.push(at + offset);
      tokens.push(count);
    }
  }
  const n = offsets.length;
  const offsetArray = new Int32Array(n + 1);
  const cum = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    offsetArray[i] = offsets[i] as number;
    cum[i + 1] = (cum[i] as number) + (tokens[i] as number);
  }
  offsetArray[n] = text.length;
  return { offsets: offsetArray, cum, counts };
}

/**
 * A long pre-token's tokens as runs of about LONG_UNIT_RUN tokens: `[char offset, tokens]` each.
 * Decoding streams the tokens; a decoded piece is complete characters, so a run ends only where
 * the decoder has just produced text.
 */
function tokenRuns(ids: number[]): [number, number][] {
  const runs: [number, number][] = [];
  let consumed = 0;
  const source = {
    *[Symbol.iterator]() {
      for (const id of ids) {
        consumed++;
        yield id;
      }
    },
  };
  let offset = 0;
  let runStart = 0;
  let runTokens = 0;
  let last = 0;
  for (const piece of decodeGenerator(source)) {
    runTokens += consumed - last;
    last = consumed;
    offset += piece.length;
    if (runTokens >= LONG_UNIT_RUN) {
      runs.push([runStart, runTokens]);
      runStart = offset;
      runTokens = 0;
    }
  }
  runTokens += consumed - last;
  if (runTokens > 0) {
    runs.push([runStart, runTokens]);
  }
  return runs;
}

/**
 * The exact token count of a chunk's text: its own pre-tokens (the edges of a cut may split
 * differently from the whole text), each counted from the whole text's tally when it has it.
 */
function exactCount(text: string, counts: Map<string, number>): number {
  let total = 0;
  for (const match of text.matchAll(O200K_TOKEN_SPLIT_REGEX)) {
    const piece = match[0];
    total += counts.get(piece) ?? countTokens(piece);
  }
  return total;
}
