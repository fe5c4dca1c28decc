/**
 * Real documents for ingest tests, built in memory: a PDF (pdf-lib) and a DOCX (docx) that the
 * extractors read back, and UTF-8 bytes of the text formats.
 */
import { Document, Packer, Paragraph } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';

const PAGE_WIDTH = 612; // US Letter, points
const PAGE_HEIGHT = 792;
const MARGIN = 56;
const FONT_SIZE = 11;
const LINE_HEIGHT = 15;
const PARAGRAPH_GAP = 10;

/**
 * A PDF with one page per entry of `pages`, each string a paragraph. Paragraphs are word-wrapped to
 * the page width so they stay on the page and extract back as text; a page whose text overflows its
 * height throws (keep fixtures small). The standard Helvetica font only encodes WinAnsi (Latin-1
 * roughly): other characters throw from pdf-lib.
 */
export async function pdfDocument(pages: string[][]): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const maxWidth = PAGE_WIDTH - 2 * MARGIN;
  for (const [index, paragraphs] of pages.entries()) {
    const page = pdf.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
    let y = PAGE_HEIGHT - MARGIN;
    for (const paragraph of paragraphs) {
      for (const line of wrap(paragraph, (s) => font.widthOfTextAtSize(s, FONT_SIZE), maxWidth)) {
        if (y < MARGIN) {
          throw new Error(`pdfDocument: the text of page ${index + 1} does not fit on one page.`);
        }
        page.drawText(line, { x: MARGIN, y, size: FONT_SIZE, font });
        y -= LINE_HEIGHT;
      }
      y -= PARAGRAPH_GAP;
    }
  }
  return Buffer.from(await pdf.save());
}

/** Greedy word wrap; a single word wider than the line is put on a line of its own. */
function wrap(text: string, width: (s: string) => number, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && width(candidate) > maxWidth) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line) {
    lines.push(line);
  }
  return lines;
}

/** A DOCX whose body is these paragraphs, in order. */
export async function docxDocument(paragraphs: string[]): Promise<Buffer> {
  const doc = new Document({
    sections: [{ children: paragraphs.map((text) => new Paragraph(text)) }],
  });
  return Packer.toBuffer(doc);
}

/** UTF-8 bytes of a string (Markdown, plain text, code). */
export function textBytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** A small HTML page: a title, an h1 and these paragraphs (escaped). */
export function htmlDocument(title: string, paragraphs: string[]): Buffer {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  return textBytes(
    `<!doctype html><html><head><title>${escapeHtml(title)}</title></head>` +
      `<body><h1>${escapeHtml(title)}</h1>\n${body}</body></html>`,
  );
}

/** CSV bytes with a header row; cells are quoted when needed. */
export function csvDocument(header: string[], rows: string[][]): Buffer {
  const cell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  return textBytes(`${[header, ...rows].map((r) => r.map(cell).join(',')).join('\n')}\n`);
}

/** JSON bytes of a value. */
export function jsonDocument(value: unknown): Buffer {
  return textBytes(JSON.stringify(value));
}

function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
