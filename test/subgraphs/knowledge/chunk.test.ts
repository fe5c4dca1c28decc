import { describe, expect, it } from 'vitest';
import { chunkSections, countTokens, type TextChunk } from '../../../subgraphs/knowledge/ingest/chunk.js';
import {
  ChunkingStrategy,
  chunkingOptions,
  chunkingStrategyOf,
} from '../../../subgraphs/knowledge/ingest/chunking-strategy.js';

const ENGLISH = (
  'the of and to in is was for on that with as by at from his her they this have had not are but ' +
  'which one you were all we when there can an been has more if will would who so no invoice shipment ' +
  'customer order payment delivery warehouse contract schedule report quarter budget account balance ' +
  'service support ticket request approval manager team project deadline review policy refund return ' +
  'product price discount supplier inventory storage region office meeting agenda summary decision'
).split(' ');

/**
 * Deterministic prose: sentences of English words and pseudo-words (Zipf-like: some frequent, a
 * long tail), paragraphs now and then.
 */
function prose(chars: number, seed = 1): string {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const pseudo = Array.from({ length: 5000 }, () =>
    Array.from({ length: 3 + Math.floor(random() * 7) }, () => letters[Math.floor(random() * 26)]).join(''),
  );
  const word = () =>
    random() < 0.6
      ? (ENGLISH[Math.floor(random() * ENGLISH.length)] as string)
      : (pseudo[Math.floor(pseudo.length * random() ** 2)] as string);
  let text = '';
  while (text.length < chars) {
    const sentence = Array.from({ length: 6 + Math.floor(random() * 14) }, word).join(' ');
    text += `${sentence[0]?.toUpperCase()}${sentence.slice(1)}.${random() < 0.15 ? '\n\n' : ' '}`;
  }
  return text;
}

/** Tokens shared by the end of `a` and the start of `b`. */
function overlapTokens(a: string, b: string): number {
  for (let k = Math.min(a.length, b.length); k > 0; k--) {
    if (a.endsWith(b.slice(0, k))) {
      return countTokens(b.slice(0, k));
    }
  }
  return 0;
}

function expectWellFormed(chunks: TextChunk[], maxTokens: number) {
  expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
  for (const chunk of chunks) {
    expect(chunk.text.trim()).toBe(chunk.text);
    expect(chunk.text).not.toBe('');
    expect(chunk.tokenCount).toBe(countTokens(chunk.text));
    expect(chunk.tokenCount).toBeLessThanOrEqual(maxTokens);
  }
}

describe('countTokens', () => {
  it('counts o200k_base tokens; special-token text is plain text', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('<|endoftext|>')).toBeGreaterThan(1);
  });
});

describe('chunkSections', () => {
  it('a short text is one chunk', () => {
    const chunks = chunkSections([{ text: '  Just one sentence.  ' }], {
      maxTokens: 800,
      overlapTokens: 400,
    });
    expect(chunks).toEqual([{ ordinal: 0, text: 'Just one sentence.', tokenCount: 4 }]);
  });

  it('nothing but whitespace is no chunk', () => {
    expect(chunkSections([], { maxTokens: 100, overlapTokens: 0 })).toEqual([]);
    expect(chunkSections([{ text: ' \n\n\t ' }, { text: '' }], { maxTokens: 100, overlapTokens: 0 })).toEqual(
      [],
    );
  });

  it('respects the limit, overlaps by about overlapTokens, covers the whole text in order', () => {
    const text = prose(60_000);
    for (const [maxTokens, overlap] of [
      [800, 400],
      [200, 50],
      [100, 0],
      [4096, 2048],
    ] as const) {
      const chunks = chunkSections([{ text }], { maxTokens, overlapTokens: overlap });
      expectWellFormed(chunks, maxTokens);
      expect(chunks.length).toBeGreaterThan(1);
      // Every chunk but the last is reasonably full.
      for (const chunk of chunks.slice(0, -1)) {
        expect(chunk.tokenCount).toBeGreaterThan(overlap + (maxTokens - overlap) / 4 - 2);
      }
      // Chunks appear in the text in order; consecutive ones share about `overlap` tokens.
      let at = 0;
      for (const [i, chunk] of chunks.entries()) {
        const found = text.indexOf(chunk.text, at);
        expect(found).toBeGreaterThanOrEqual(at);
        at = found + 1;
        if (i > 0) {
          const shared = overlapTokens(chunks[i - 1]?.text ?? '', chunk.text);
          if (overlap === 0) {
            expect(shared).toBeLessThan(3);
          } else {
            // "About": the shared text counted on its own can differ by a token at its edges.
            expect(shared).toBeGreaterThanOrEqual(overlap * 0.7 - 3);
            expect(shared).toBeLessThanOrEqual(overlap + 2);
          }
        }
      }
      // Nothing lost: the first chunk starts the text, the last one ends it.
      expect(text.trimStart().startsWith(chunks[0]?.text ?? '?')).toBe(true);
      expect(text.trimEnd().endsWith(chunks.at(-1)?.text ?? '?')).toBe(true);
    }
  });

  it('without overlap, the chunks rebuild the text', () => {
    const text = prose(20_000, 3);
    const chunks = chunkSections([{ text }], { maxTokens: 150, overlapTokens: 0 });
    expect(
      chunks
        .map((c) => c.text)
        .join(' ')
        .replace(/\s+/g, ' '),
    ).toBe(text.trim().replace(/\s+/g, ' '));
  });

  it('cuts at paragraphs first, then sentences, never inside a word', () => {
    const paragraph = (n: number) => `${'Word '.repeat(n).trim()}.`;
    // Two paragraphs of ~70 tokens each: with a 100-token limit, the cut is the paragraph break.
    const chunks = chunkSections([{ text: `${paragraph(70)}\n\n${paragraph(70)}` }], {
      maxTokens: 100,
      overlapTokens: 0,
    });
    expect(chunks.map((c) => c.text)).toEqual([paragraph(70), paragraph(70)]);

    // One paragraph of sentences: every chunk ends at a sentence end.
    const sentences = prose(10_000, 5).replace(/\n\n/g, ' ');
    for (const chunk of chunkSections([{ text: sentences }], { maxTokens: 120, overlapTokens: 30 })) {
      expect(chunk.text).toMatch(/\.$/);
    }

    // Sentences longer than the limit: cuts fall between words.
    const words = prose(20_000, 9).replace(/[.\n]/g, ' ').replace(/ +/g, ' ').trim();
    const wordSet = new Set(words.split(' '));
    for (const chunk of chunkSections([{ text: words }], { maxTokens: 100, overlapTokens: 20 })) {
      const parts = chunk.text.split(' ');
      expect(wordSet.has(parts[0] as string)).toBe(true);
      expect(wordSet.has(parts.at(-1) as string)).toBe(true);
    }
  });

  it('text without any boundary (one huge "word", CJK) is still cut within the limit', () => {
    const blob = 'x7Qz'.repeat(5000);
    const chunks = chunkSections([{ text: blob }], { maxTokens: 100, overlapTokens: 10 });
    expectWellFormed(chunks, 100);
    expect(chunks.length).toBeGreaterThan(5);
    const cjk = '我们的发票在三月五日到期。'.repeat(400);
    const cjkChunks = chunkSections([{ text: cjk }], { maxTokens: 100, overlapTokens: 0 });
    expectWellFormed(cjkChunks, 100);
    for (const chunk of cjkChunks) {
      expect(chunk.text).toMatch(/。$/); // sentence ends are boundaries without spaces too
    }
    expect(cjkChunks.map((c) => c.text).join('')).toBe(cjk);
  });

  it('a chunk’s page is the page it starts on', () => {
    const pages = [1, 2, 3].map((page) => ({ text: prose(3000, page), page }));
    const chunks = chunkSections(pages, { maxTokens: 200, overlapTokens: 50 });
    expectWellFormed(chunks, 200);
    for (const chunk of chunks) {
      const page = pages.find((p) => p.text.includes(chunk.text.slice(0, 60)));
      expect(chunk.page).toBe(page?.page);
    }
    expect(new Set(chunks.map((c) => c.page))).toEqual(new Set([1, 2, 3]));
    // Sections without pages give chunks without pages.
    expect(chunkSections([{ text: 'x' }], { maxTokens: 100, overlapTokens: 0 })[0]).not.toHaveProperty(
      'page',
    );
  });

  it('an overlap over half the limit is capped so chunks advance', () => {
    const text = prose(20_000, 11);
    const chunks = chunkSections([{ text }], { maxTokens: 100, overlapTokens: 400 });
    expectWellFormed(chunks, 100);
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0) {
        expect(overlapTokens(chunks[i - 1]?.text ?? '', chunk.text)).toBeLessThanOrEqual(52);
      }
    }
  });

  it('1 MB of text in well under a second', () => {
    const text = prose(1_000_000, 42);
    const started = performance.now();
    const chunks = chunkSections([{ text }], { maxTokens: 800, overlapTokens: 400 });
    const ms = performance.now() - started;
    console.log(
      `chunkSections: 1 MB (${countTokens(text)} tokens) → ${chunks.length} chunks in ${ms.toFixed(0)} ms`,
    );
    expectWellFormed(chunks, 800);
    expect(chunks.length).toBeGreaterThan(400);
  });
});

describe('ChunkingStrategy', () => {
  it('accepts OpenAI’s two forms', () => {
    expect(ChunkingStrategy.parse({ type: 'auto' })).toEqual({ type: 'auto' });
    const fixed = { type: 'static', static: { max_chunk_size_tokens: 1000, chunk_overlap_tokens: 500 } };
    expect(ChunkingStrategy.parse(fixed)).toEqual(fixed);
    expect(
      ChunkingStrategy.safeParse({
        type: 'static',
        static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 },
      }).success,
    ).toBe(true);
  });

  it('refuses what OpenAI refuses', () => {
    for (const bad of [
      {},
      { type: 'other' },
      { type: 'static' },
      { type: 'static', static: { max_chunk_size_tokens: 99, chunk_overlap_tokens: 0 } },
      { type: 'static', static: { max_chunk_size_tokens: 4097, chunk_overlap_tokens: 0 } },
      { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 401 } },
      { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: -1 } },
      { type: 'static', static: { max_chunk_size_tokens: 800.5, chunk_overlap_tokens: 0 } },
      { type: 'static', static: { maxChunkSizeTokens: 800, chunkOverlapTokens: 0 } },
      { type: 'auto', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 0 } },
    ]) {
      expect(ChunkingStrategy.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    const overlap = ChunkingStrategy.safeParse({
      type: 'static',
      static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 401 },
    });
    expect(overlap.error?.issues[0]?.path).toEqual(['static', 'chunk_overlap_tokens']);
  });

  it('chunkingOptions and chunkingStrategyOf', () => {
    const defaults = { maxTokens: 800, overlapTokens: 400 };
    expect(chunkingOptions(null, defaults)).toEqual(defaults);
    expect(chunkingOptions(undefined, defaults)).toEqual(defaults);
    expect(chunkingOptions({ type: 'auto' }, defaults)).toEqual(defaults);
    expect(
      chunkingOptions(
        { type: 'static', static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 20 } },
        defaults,
      ),
    ).toEqual({ maxTokens: 300, overlapTokens: 20 });
    expect(chunkingStrategyOf(defaults)).toEqual({
      type: 'static',
      static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 },
    });
    expect(ChunkingStrategy.parse(chunkingStrategyOf(defaults))).toEqual(chunkingStrategyOf(defaults));
  });
});
