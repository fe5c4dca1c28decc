/**
 * Text extraction of an uploaded file: its bytes and MIME type in, plain-text sections out (one per
 * page for a PDF, one for everything else). Pure: no database, no network. Every failure — an
 * unsupported type, a corrupt document, undecodable text, nothing to index — is an ExtractionError
 * whose message is what the file's `error` shows its owner.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import type { HtmlToTextOptions } from 'html-to-text';
import { bareMediaType } from '../../kernel/blobs.js';

const PDF = 'application/pdf';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const HTML = 'text/html';
const CSV = 'text/csv';
const JSON_TYPE = 'application/json';

/** Types read as UTF-8 text as they are (prose, Markdown, source code). */
const PLAIN_TEXT_TYPES = [
  'text/plain',
  'text/markdown',
  'text/x-python',
  'text/x-javascript',
  'text/javascript',
  'application/javascript',
  'text/x-typescript',
] as const;

/** Every MIME type `extractText` reads. */
export const EXTRACTABLE_MIME_TYPES: readonly string[] = Object.freeze([
  ...PLAIN_TEXT_TYPES,
  HTML,
  JSON_TYPE,
  CSV,
  PDF,
  DOCX,
]);

/** The type of a file's extension, for uploads that did not say (or said something generic). */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  txt: 'text/plain',
  text: 'text/plain',
  html: HTML,
  htm: HTML,
  json: JSON_TYPE,
  csv: CSV,
  pdf: PDF,
  docx: DOCX,
  py: 'text/x-python',
  js: 'application/javascript',
  mjs: 'application/javascript',
  cjs: 'application/javascript',
  ts: 'text/x-typescript',
  mts: 'text/x-typescript',
  cts: 'text/x-typescript',
};

/** Types browsers and HTTP clients send when they do not know: the extension decides instead. */
const GENERIC_TYPES = new Set([
  'application/octet-stream',
  'binary/octet-stream',
  'application/unknown',
  'application/x-unknown',
  'application/download',
  'application/force-download',
]);

/**
 * Declared types that are wrong for a known extension often enough to be overridden by it: Windows
 * sends a DOCX as a ZIP, and every OS maps `.ts` to MPEG transport streams (video/mp2t).
 */
const MISLEADING: Readonly<Record<string, readonly string[]>> = {
  docx: ['application/zip', 'application/x-zip-compressed'],
  ts: ['video/mp2t', 'video/vnd.dlna.mpeg-tts'],
  md: ['text/plain', 'text/x-markdown'],
  markdown: ['text/plain', 'text/x-markdown'],
};

/** Other spellings of supported types. */
const ALIASES: Readonly<Record<string, string>> = {
  'text/x-markdown': 'text/markdown',
  'application/x-javascript': 'application/javascript',
  'application/x-pdf': PDF,
  'application/typescript': 'text/x-typescript',
  'application/x-typescript': 'text/x-typescript',
  'text/x-python-script': 'text/x-python',
  'application/x-python': 'text/x-python',
  'application/x-python-code': 'text/x-python',
  'text/json': JSON_TYPE,
};

function extensionOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/**
 * The MIME type a file is extracted as: the declared one lower-cased without parameters; when it is
 * empty or generic (`application/octet-stream` and the like), the one of the filename's extension;
 * a few known misdeclarations (a `.docx` sent as ZIP, a `.ts` as video/mp2t, a `.md` as text/plain)
 * are corrected by the extension, and aliases (`text/x-markdown`) are spelled the canonical way.
 * With neither a usable declaration nor a known extension: `application/octet-stream`.
 */
export function resolveMimeType(declared: string | null | undefined, filename: string): string {
  const type = bareMediaType(declared);
  const ext = extensionOf(filename);
  const fromExtension = BY_EXTENSION[ext];
  if (fromExtension && (!type || GENERIC_TYPES.has(type) || MISLEADING[ext]?.includes(type))) {
    return fromExtension;
  }
  if (!type) {
    return 'application/octet-stream';
  }
  return ALIASES[type] ?? type;
}

/** Why a file's text could not be extracted; the message is shown to the file's owner. */
export class ExtractionError extends Error {
  override readonly name = 'ExtractionError';
}

/** A run of extracted text; `page` (1-based) when the format has pages (PDF). */
export interface ExtractedSection {
  text: string;
  page?: number;
}

/**
 * The text of a file as sections: one per non-empty page of a PDF (numbered from 1), one section
 * for the other types. Throws ExtractionError, never anything else, for an unsupported type, a
 * corrupt document, text that is not valid UTF-8, or a file with no text at all.
 */
export async function extractText(bytes: Uint8Array, mimeType: string): Promise<ExtractedSection[]> {
  const type = ALIASES[bareMediaType(mimeType)] ?? bareMediaType(mimeType);
  let sections: ExtractedSection[];
  try {
    sections = await extractByType(bytes, type);
  } catch (error) {
    if (error instanceof ExtractionError) {
      throw error;
    }
    // A parser failing in a way the branches below did not anticipate (a stack overflow on absurd
    // nesting, an internal bug) is still the file's problem, reported as such.
    throw new ExtractionError(`The file could not be read as ${type}: ${reason(error)}`);
  }
  const cleaned = sections
    .map((section) => ({ ...section, text: cleanText(section.text) }))
    .filter((section) => section.text.trim() !== '');
  if (cleaned.length === 0) {
    throw new ExtractionError('The file has no extractable text.');
  }
  return cleaned;
}

async function extractByType(bytes: Uint8Array, type: string): Promise<ExtractedSection[]> {
  if ((PLAIN_TEXT_TYPES as readonly string[]).includes(type)) {
    return [{ text: decodeText(bytes) }];
  }
  switch (type) {
    case PDF:
      return extractPdf(bytes);
    case DOCX:
      return [{ text: await extractDocx(bytes) }];
    case HTML:
      return [{ text: await extractHtml(decodeText(bytes)) }];
    case CSV:
      return [{ text: extractCsv(decodeText(bytes)) }];
    case JSON_TYPE:
      return [{ text: extractJson(decodeText(bytes)) }];
    default:
      throw new ExtractionError(
        `Unsupported file type ${type || '(none)'}: supported are ${EXTRACTABLE_MIME_TYPES.join(', ')}.`,
      );
  }
}

/** The first line of an error's message, short. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n')[0]?.trim() || 'unknown error';
  const short = line.length > 200 ? `${line.slice(0, 200)}…` : line;
  return /[.!?…]$/.test(short) ? short : `${short}.`;
}

/**
 * Text as PostgreSQL can store it and the chunker expects it: no NUL (PostgreSQL text cannot hold
 * U+0000), `\n` line ends, no other C0 control characters (form feeds between pages become line
 * breaks, the rest spaces), no BOM.
 */
function cleanText(text: string): string {
  return (
    text
      .replace(/^\uFEFF/, '')
      .replaceAll('\u0000', '')
      .replace(/\r\n?/g, '\n')
      .replaceAll('\f', '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
      .replace(/[\u0001-\u0008\u000B\u000E-\u001F\u007F]/g, ' ')
  );
}

/**
 * Bytes as text: UTF-8 (a BOM is dropped), or UTF-16 when the file starts with a UTF-16 BOM (what
 * Windows editors save as "Unicode"). Anything else that is not valid UTF-8 is refused rather than
 * indexed as mojibake.
 */
function decodeText(bytes: Uint8Array): string {
  const [b0, b1] = bytes;
  const encoding =
    b0 === 0xff && b1 === 0xfe ? 'utf-16le' : b0 === 0xfe && b1 === 0xff ? 'utf-16be' : 'utf-8';
  try {
    // ignoreBOM false (the default): the decoder consumes a leading BOM itself.
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw new ExtractionError(
      encoding === 'utf-8' ? 'The file is not valid UTF-8 text.' : `The file is not valid ${encoding} text.`,
    );
  }
}

/** pdf-parse's page marker (`-- 1 of 3 --`), in case a page's own text carries one. */
const PAGE_MARKER = /^\s*-- \d+ of \d+ --\s*$/gm;

// The PDF, DOCX and HTML readers load on first use: start-up never pays for them.
async function extractPdf(bytes: Uint8Array): Promise<ExtractedSection[]> {
  const { PDFParse } = await import('pdf-parse');
  // pdf.js transfers (detaches) the buffer it is given: hand it a copy, never the caller's bytes.
  const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: 0 });
  try {
    const result = await parser.getText({ pageJoiner: '' });
    return result.pages.map((page) => ({ text: page.text.replace(PAGE_MARKER, ''), page: page.num }));
  } catch (error) {
    if (error instanceof Error && error.name === 'PasswordException') {
      throw new ExtractionError('The PDF could not be read: it is password-protected.');
    }
    throw new ExtractionError(`The PDF could not be read: ${reason(error)}`);
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

async function extractDocx(bytes: Uint8Array): Promise<string> {
  const { default: mammoth } = await import('mammoth');
  try {
    const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
    return result.value;
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (/central directory|zip/i.test(message)) {
      throw new ExtractionError('The DOCX could not be read: it is not a valid DOCX (ZIP) archive.');
    }
    throw new ExtractionError(`The DOCX could not be read: ${reason(error)}`);
  }
}

/** Readable text of a page: no URLs after links, no images, headings as they are written (not upper-cased). */
const HTML_OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'noscript', format: 'skip' },
    { selector: 'svg', format: 'skip' },
    { selector: 'nav', format: 'skip' },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({
      selector,
      options: { uppercase: false },
    })),
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
};

async function extractHtml(html: string): Promise<string> {
  const { htmlToText } = await import('html-to-text');
  try {
    return htmlToText(html, HTML_OPTIONS);
  } catch (error) {
    throw new ExtractionError(`The HTML could not be read: ${reason(error)}`);
  }
}

/**
 * Each data row as one line `header: value; header: value` (empty cells left out), so a row found by
 * search reads on its own, whichever chunk it lands in. A header-only file is its header line.
 */
function extractCsv(text: string): string {
  let rows: string[][];
  try {
    rows = parseCsv(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: true,
      trim: true,
    }) as string[][];
  } catch (error) {
    throw new ExtractionError(`The CSV could not be read: ${reason(error)}`);
  }
  const [header, ...data] = rows;
  if (!header) {
    return '';
  }
  if (data.length === 0) {
    return header.join(', ');
  }
  const names = header.map((name, i) => name || `column ${i + 1}`);
  return data
    .map((row) =>
      row
        .map((value, i) => (value ? `${names[i] ?? `column ${i + 1}`}: ${value}` : ''))
        .filter(Boolean)
        .join('; '),
    )
    .filter(Boolean)
    .join('\n');
}

/**
 * JSON as one `path.to.key: value` line per leaf (`items[2].name: Ada`). Flattened rather than pretty
 * printed because it searches better: every value carries its full key path on its own line, so a
 * chunk cut anywhere in a large document still says what each value is (pretty JSON leaves a chunk
 * of `"name": "Ada"` with the enclosing keys chunks away), and no tokens go to braces, quotes and
 * indentation, which neither lexical nor semantic search gain anything from.
 */
function extractJson(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ExtractionError(`The JSON could not be read: ${reason(error)}`);
  }
  const lines: string[] = [];
  flatten(value, '', lines);
  return lines.join('\n');
}

const PLAIN_KEY = /^[\p{L}\p{N}_$-]+$/u;

function flatten(value: unknown, path: string, lines: string[]): void {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      lines.push(`${path || '(root)'}: []`);
    }
    for (const [i, item] of value.entries()) {
      flatten(item, `${path}[${i}]`, lines);
    }
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) {
      lines.push(`${path || '(root)'}: {}`);
    }
    for (const [key, item] of entries) {
      const segment = PLAIN_KEY.test(key) ? key : JSON.stringify(key);
      flatten(item, path ? `${path}.${segment}` : segment, lines);
    }
    return;
  }
  const text = typeof value === 'string' ? value : String(value);
  lines.push(path ? `${path}: ${text}` : text);
}
