import { describe, expect, it } from 'vitest';
import {
  EXTRACTABLE_MIME_TYPES,
  ExtractionError,
  extractText,
  resolveMimeType,
} from '../../../subgraphs/knowledge/ingest/extract.js';
import {
  csvDocument,
  docxDocument,
  htmlDocument,
  jsonDocument,
  pdfDocument,
  textBytes,
} from '../../kit/documents.js';

const SENTENCE = 'The quarterly invoice for Zanzibar logistics is due on the fifth of March.';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** The ExtractionError a promise rejects with (and nothing else). */
async function extractionError(promise: Promise<unknown>): Promise<ExtractionError> {
  const error = await promise.then(
    () => {
      throw new Error('expected an ExtractionError');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExtractionError);
  return error as ExtractionError;
}

const flat = (sections: { text: string }[]) =>
  sections
    .map((s) => s.text)
    .join('\n')
    .replace(/\s+/g, ' ');

describe('resolveMimeType', () => {
  it('lower-cases and drops parameters', () => {
    expect(resolveMimeType('Text/Plain; charset=UTF-8', 'notes.txt')).toBe('text/plain');
    expect(resolveMimeType('APPLICATION/PDF', 'x')).toBe('application/pdf');
  });

  it('infers from the extension when the declared type is empty or generic', () => {
    const cases: [string, string][] = [
      ['a.md', 'text/markdown'],
      ['a.markdown', 'text/markdown'],
      ['a.txt', 'text/plain'],
      ['a.HTML', 'text/html'],
      ['a.htm', 'text/html'],
      ['a.json', 'application/json'],
      ['a.csv', 'text/csv'],
      ['report.final.pdf', 'application/pdf'],
      ['a.docx', DOCX],
      ['a.py', 'text/x-python'],
      ['a.js', 'application/javascript'],
      ['a.ts', 'text/x-typescript'],
    ];
    for (const [name, type] of cases) {
      expect(resolveMimeType(undefined, name)).toBe(type);
      expect(resolveMimeType('', name)).toBe(type);
      expect(resolveMimeType('application/octet-stream', name)).toBe(type);
      expect(resolveMimeType('binary/octet-stream', name)).toBe(type);
    }
  });

  it('keeps a specific declared type, corrects known misdeclarations, spells aliases canonically', () => {
    expect(resolveMimeType('text/csv', 'data.txt')).toBe('text/csv');
    expect(resolveMimeType('image/png', 'photo.pdf')).toBe('image/png');
    expect(resolveMimeType('application/zip', 'letter.docx')).toBe(DOCX);
    expect(resolveMimeType('video/mp2t', 'index.ts')).toBe('text/x-typescript');
    expect(resolveMimeType('text/plain', 'README.md')).toBe('text/markdown');
    expect(resolveMimeType('text/x-markdown', 'notes')).toBe('text/markdown');
    expect(resolveMimeType(null, 'no-extension')).toBe('application/octet-stream');
    expect(resolveMimeType('application/octet-stream', 'blob.bin')).toBe('application/octet-stream');
  });

  it('every type it infers is extractable', () => {
    for (const name of [
      'a.md',
      'a.txt',
      'a.html',
      'a.json',
      'a.csv',
      'a.pdf',
      'a.docx',
      'a.py',
      'a.js',
      'a.ts',
    ]) {
      expect(EXTRACTABLE_MIME_TYPES).toContain(resolveMimeType(null, name));
    }
  });
});

describe('extractText', () => {
  it('PDF: one section per page, numbered from 1, long paragraphs wrapped and read back', async () => {
    const long = `${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(12)}End of the long paragraph.`;
    const pdf = await pdfDocument([[SENTENCE, long], ['Page two talks about penguins.'], ['Third page.']]);
    const sections = await extractText(pdf, 'application/pdf');
    expect(sections.map((s) => s.page)).toEqual([1, 2, 3]);
    expect(sections[0]?.text.replace(/\s+/g, ' ')).toContain(SENTENCE);
    expect(sections[0]?.text.replace(/\s+/g, ' ')).toContain('End of the long paragraph.');
    expect(sections[1]?.text.trim()).toBe('Page two talks about penguins.');
    expect(flat(sections)).not.toMatch(/-- \d+ of \d+ --/);
  });

  it('PDF: leaves the caller’s bytes intact (pdf.js detaches what it is given)', async () => {
    const pdf = await pdfDocument([[SENTENCE]]);
    const before = pdf.byteLength;
    await extractText(pdf, 'application/pdf');
    expect(pdf.byteLength).toBe(before);
    expect(flat(await extractText(pdf, 'application/pdf'))).toContain(SENTENCE);
  });

  it('DOCX: its paragraphs', async () => {
    const sections = await extractText(await docxDocument(['Title line', SENTENCE, 'Last one.']), DOCX);
    expect(sections).toHaveLength(1);
    expect(sections[0]?.page).toBeUndefined();
    expect(sections[0]?.text).toContain(SENTENCE);
    expect(sections[0]?.text).toMatch(/Title line\s+The quarterly/);
  });

  it('HTML: text without link targets, images or scripts; headings kept as written', async () => {
    const page = htmlDocument('Shipping Guide', [SENTENCE]);
    const [section] = await extractText(page, 'text/html');
    expect(section?.text).toContain('Shipping Guide');
    expect(section?.text).toContain(SENTENCE);
    const [noisy] = await extractText(
      textBytes(
        '<html><head><style>p{color:red}</style></head><body><h2>Returns &amp; Refunds</h2>' +
          '<p>See <a href="https://example.com/policy">our policy</a> <img src="x.png" alt="logo"></p>' +
          '<script>alert(1)</script></body></html>',
      ),
      'text/html',
    );
    expect(noisy?.text).toContain('Returns & Refunds');
    expect(noisy?.text).toContain('See our policy');
    expect(noisy?.text).not.toMatch(/example\.com|x\.png|alert|color/);
  });

  it('CSV: each row as header: value pairs on its own line', async () => {
    const csv = csvDocument(
      ['name', 'city', 'note'],
      [
        ['Ada', 'London', SENTENCE],
        ['Grace, Jr', 'Arlington', ''],
      ],
    );
    const [section] = await extractText(csv, 'text/csv');
    expect(section?.text.split('\n')).toEqual([
      `name: Ada; city: London; note: ${SENTENCE}`,
      'name: Grace, Jr; city: Arlington',
    ]);
  });

  it('JSON: one path: value line per leaf', async () => {
    const json = jsonDocument({
      order: { id: 7, lines: [{ sku: 'A-1', note: SENTENCE }], tags: [] },
      ok: true,
    });
    const [section] = await extractText(json, 'application/json');
    expect(section?.text.split('\n')).toEqual([
      'order.id: 7',
      'order.lines[0].sku: A-1',
      `order.lines[0].note: ${SENTENCE}`,
      'order.tags: []',
      'ok: true',
    ]);
  });

  it('Markdown, text and code: UTF-8 as written, BOM and NUL removed, CRLF normalised', async () => {
    const md = `# Heading\r\n\r\n${SENTENCE}\r\n`;
    const [section] = await extractText(textBytes(`\uFEFF${md}`), 'text/markdown');
    expect(section?.text).toBe(`# Heading\n\n${SENTENCE}\n`);
    const [withNul] = await extractText(textBytes('a\u0000b ünïcödé'), 'text/plain; charset=utf-8');
    expect(withNul?.text).toBe('ab ünïcödé');
    for (const type of ['text/x-python', 'application/javascript', 'text/x-typescript']) {
      const [code] = await extractText(textBytes('def total(x):\n    return x  # sum'), type);
      expect(code?.text).toContain('return x');
    }
  });

  it('UTF-16 with a BOM is decoded', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SENTENCE, 'utf16le')]);
    expect((await extractText(utf16, 'text/plain'))[0]?.text).toBe(SENTENCE);
  });

  it('corrupt or unsupported input is an ExtractionError with a clear message', async () => {
    expect(
      (await extractionError(extractText(Buffer.from('%PDF-1.7\nnot really'), 'application/pdf'))).message,
    ).toBe('The PDF could not be read: Invalid PDF structure.');
    const truncated = (await pdfDocument([[SENTENCE]])).subarray(0, 200);
    expect((await extractionError(extractText(truncated, 'application/pdf'))).message).toMatch(
      /^The PDF could not be read: /,
    );
    expect((await extractionError(extractText(Buffer.from('PK not a zip'), DOCX))).message).toBe(
      'The DOCX could not be read: it is not a valid DOCX (ZIP) archive.',
    );
    expect((await extractionError(extractText(Buffer.from([0x61, 0xc3, 0x28]), 'text/plain'))).message).toBe(
      'The file is not valid UTF-8 text.',
    );
    expect((await extractionError(extractText(Buffer.from([0xff, 0xfe, 0xa0]), 'text/plain'))).message).toBe(
      'The file is not valid utf-16le text.',
    );
    expect((await extractionError(extractText(Buffer.from('{"a": '), 'application/json'))).message).toMatch(
      /^The JSON could not be read: /,
    );
    expect((await extractionError(extractText(Buffer.from('a,"b\n'), 'text/csv'))).message).toMatch(
      /^The CSV could not be read: /,
    );
    const png = await extractionError(extractText(Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png'));
    expect(png.message).toMatch(/^Unsupported file type image\/png: supported are .*application\/pdf/);
  });

  it('a file without text is an ExtractionError', async () => {
    for (const [bytes, type] of [
      [textBytes(''), 'text/plain'],
      [textBytes(' \n\t\n'), 'text/markdown'],
      [textBytes('<html><body><img src="a.png"></body></html>'), 'text/html'],
      [await pdfDocument([[]]), 'application/pdf'],
      [await docxDocument([]), DOCX],
    ] as const) {
      expect((await extractionError(extractText(bytes, type))).message).toBe(
        'The file has no extractable text.',
      );
    }
  });

  it('blank PDF pages are left out, the others keep their numbers', async () => {
    const sections = await extractText(await pdfDocument([['One.'], [], ['Three.']]), 'application/pdf');
    expect(sections.map((s) => [s.page, s.text.trim()])).toEqual([
      [1, 'One.'],
      [3, 'Three.'],
    ]);
  });
});
