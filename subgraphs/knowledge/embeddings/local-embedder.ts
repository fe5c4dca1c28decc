/**
 * The embedded default embedder: deterministic feature hashing in process, no network, no model
 * file, the same vector for the same text on every machine and release (it is `local-hash-v1`;
 * changing the features is a new model name and a re-embed).
 *
 * Quality: lexical. Texts are close when they share words, word pairs or word fragments — a query
 * finds chunks that use its terms, also inflected (`invoice` ~ `invoices` ~ `invoicing`) through the
 * stemming and character trigrams. It knows no synonyms or meaning: `car` and `automobile` are
 * unrelated, and a paraphrase with other words is not found. Good for tests, demos and offline
 * deployments; set EMBEDDINGS_PROVIDER=openai for semantic search.
 *
 * Features of a text: lower-cased, accent-folded word tokens (Unicode letters and digits) without
 * English stop words, lightly stemmed, as unigrams (weight 1), adjacent word bigrams (0.5) and the
 * character trigrams of each word with boundary marks (0.25 in total per word, so long words do
 * not dominate). Each feature is hashed (FNV-1a, 32-bit) to a bucket and a sign; its value is
 * weight × (1 + ln tf); the vector is L2-normalised. A text with no features (empty, only stop
 * words or punctuation) is the unit vector on bucket 0 — never NaN, and far from any real text.
 */
import type { Embedder } from './embedder.js';

export const LOCAL_EMBEDDINGS_MODEL = 'local-hash-v1';

const UNIGRAM = 1;
const BIGRAM = 0.5;
const TRIGRAMS_PER_WORD = 0.25;

const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below ' +
    'between both but by can could did do does doing down during each few for from further had has have ' +
    'having he her here hers herself him himself his how i if in into is it its itself just me more most ' +
    'my myself no nor not now of off on once only or other our ours ourselves out over own same she ' +
    'should so some such than that the their theirs them themselves then there these they this those ' +
    'through to too under until up very was we were what when where which while who whom why will with ' +
    'would you your yours yourself yourselves'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;

/** Lower-cased, accent-folded word tokens of a text. */
export function wordsOf(text: string): string[] {
  const folded = text.normalize('NFKD').replace(MARKS, '').toLowerCase();
  return folded.match(WORD) ?? [];
}

/** A light English suffix stemmer: plural, -ing, -ed, -ly; only on words long enough to keep a stem. */
export function stem(word: string): string {
  const n = word.length;
  if (n <= 3 || /\d/.test(word)) {
    return word;
  }
  if (word.endsWith('sses')) {
    return word.slice(0, -2);
  }
  if (n > 4 && word.endsWith('ies')) {
    return `${word.slice(0, -3)}y`;
  }
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) {
    return stem(word.slice(0, -1));
  }
  if (n > 5 && word.endsWith('ing')) {
    return undouble(word.slice(0, -3));
  }
  if (n > 4 && word.endsWith('ed')) {
    return undouble(word.slice(0, -2));
  }
  if (n > 4 && word.endsWith('ly')) {
    return word.slice(0, -2);
  }
  if (n > 3 && word.endsWith('e')) {
    return word.slice(0, -1); // invoice ~ invoic(ing): both stem to "invoic"
  }
  return word;
}

/** `running` → `runn` → `run`, `stopped` → `stopp` → `stop`. */
function undouble(stemmed: string): string {
  const n = stemmed.length;
  if (n > 2 && stemmed[n - 1] === stemmed[n - 2] && !/[lsz]/.test(stemmed[n - 1] as string)) {
    return stemmed.slice(0, -1);
  }
  return stemmed;
}

/** FNV-1a (32-bit) of a string's UTF-16 code units, after a one-character feature kind. */
function fnv1a(kind: number, text: string): number {
  let hash = 0x811c9dc5 ^ kind;
  hash = Math.imul(hash, 0x01000193);
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final avalanche so nearby strings spread over buckets and signs.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

const KIND_UNIGRAM = 0x75;
const KIND_BIGRAM = 0x62;
const KIND_TRIGRAM = 0x63;

/** The vector of one text, `dimensions` long, L2-normalised. */
export function hashEmbedding(text: string, dimensions: number): number[] {
  // Features keyed by hash (32-bit collisions between features of one text are negligible), each
  // with its weight and term frequency.
  const weights = new Map<number, number>();
  const counts = new Map<number, number>();
  const add = (hash: number, weight: number) => {
    const count = counts.get(hash);
    if (count === undefined) {
      counts.set(hash, 1);
      weights.set(hash, weight);
    } else {
      counts.set(hash, count + 1);
    }
  };
  let previous: string | null = null;
  for (const word of wordsOf(text)) {
    if (STOP_WORDS.has(word)) {
      previous = null; // bigrams do not jump over stop words
      continue;
    }
    const stemmed = stem(word);
    add(fnv1a(KIND_UNIGRAM, stemmed), UNIGRAM);
    if (previous !== null) {
      add(fnv1a(KIND_BIGRAM, `${previous} ${stemmed}`), BIGRAM);
    }
    previous = stemmed;
    const marked = `^${word}$`;
    const trigrams = marked.length - 2;
    if (trigrams > 1) {
      const weight = TRIGRAMS_PER_WORD / trigrams;
      for (let i = 0; i < trigrams; i++) {
        add(fnv1a(KIND_TRIGRAM, marked.slice(i, i + 3)), weight);
      }
    }
  }

  const vector = new Float64Array(dimensions);
  for (const [hash, count] of counts) {
    const value = (weights.get(hash) as number) * (1 + Math.log(count));
    const bucket = (hash >>> 1) % dimensions;
    vector[bucket] = (vector[bucket] as number) + (hash & 1 ? value : -value);
  }
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    norm += (vector[i] as number) ** 2;
  }
  const out = new Array<number>(dimensions).fill(0);
  if (norm === 0) {
    out[0] = 1;
    return out;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) {
    out[i] = (vector[i] as number) * scale;
  }
  return out;
}

/** The local hashing embedder (see the top of this file for what it is good for). */
export class LocalHashEmbedder implements Embedder {
  readonly model = LOCAL_EMBEDDINGS_MODEL;

  constructor(readonly dimensions: number) {
    if (!Number.isInteger(dimensions) || dimensions < 1) {
      throw new Error(`The local embedder needs a positive whole number of dimensions, not ${dimensions}.`);
    }
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const vectors: number[][] = [];
    for (const [i, text] of texts.entries()) {
      if (i % 256 === 0) {
        signal?.throwIfAborted();
      }
      vectors.push(hashEmbedding(text, this.dimensions));
    }
    return vectors;
  }
}
