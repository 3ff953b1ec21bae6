/**
 * A statement as a printable PDF for officials (issue #13, item 5), with pdfkit and its standard
 * fonts only (Helvetica; nothing is downloaded or embedded). It places the text of a
 * `StatementDocument` (src/core/accounting/statement-document.ts) — built from the same statement
 * object as the JSON and CSV — and computes nothing: the figures cannot differ from the data.
 *
 * Layout: A4 landscape; the title, then the facts (vaults, period, price and its source, a stale
 * notice, method), the notices, the tables — rows never split across pages, the header repeated on
 * each page — and paragraphs; every page carries "page i of n" and the generation time.
 * Deterministic: the same document and `generatedAt` give the same bytes (the PDF's creation and
 * modification dates, and so its file id, are `generatedAt`).
 */
import PDFDocument from 'pdfkit';
import type { StatementDocument, StatementTable } from '../../core/accounting/statement-document.ts';

export interface PdfOptions {
  /** Printed on every page and used as the PDF's creation date. */
  readonly generatedAt: Date;
  /** Who produced it, e.g. "Soberana 0.4.0". */
  readonly producer?: string;
  /** Compress the page streams (default true; a test may read them uncompressed). */
  readonly compress?: boolean;
}

const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const REPLACE: Readonly<Record<string, string>> = { '−': '-', '≠': '!=', '÷': '/', '→': '->', '←': '<-', '√': 'sqrt ', '≤': '<=', '≥': '>=', '₀': '0', 'ₜ': 't' };

/**
 * Text the standard fonts can print (Windows-1252): the minus sign becomes "-", arrows "->", and
 * any other character outside the set "?" — the PDF never shows a missing glyph silently.
 */
export function pdfText(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (REPLACE[ch] !== undefined) out += REPLACE[ch];
    else if ((cp >= 0x20 && cp < 0x7f) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else if (ch === '\n' || ch === '\t') out += ' ';
    else out += '?';
  }
  return out;
}

const MARGIN = 36;
const FOOTER = 24;
const CELL_PAD = 2.5;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';

/**
 * Render `doc` to PDF bytes.
 * @example const pdf = await renderStatementPdf(balanceSheetDocument(statement, minorDigitsOf), { generatedAt: new Date('2026-01-01T00:00:00Z') });
 */
export function renderStatementPdf(doc: StatementDocument, opts: PdfOptions): Promise<Buffer> {
  const pdf = new PDFDocument({
    size: 'A4', layout: 'landscape', margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER },
    bufferPages: true, compress: opts.compress ?? true,
    info: {
      Title: pdfText(doc.title), Author: 'Soberana', Creator: 'Soberana', Producer: pdfText(opts.producer ?? 'Soberana (PDFKit)'),
      CreationDate: opts.generatedAt, ModDate: opts.generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const left = MARGIN;
  const width = pdf.page.width - 2 * MARGIN;
  const bottom = (): number => pdf.page.height - MARGIN - FOOTER;

  pdf.font(BOLD).fontSize(16).text(pdfText(doc.title), left, MARGIN, { width });
  pdf.moveDown(0.4);
  pdf.fontSize(9);
  for (const f of doc.facts) {
    pdf.font(BOLD).text(`${pdfText(f.label)}: `, { continued: true, width }).font(FONT).text(pdfText(f.value), { width });
  }
  if (doc.notices.length > 0) {
    pdf.moveDown(0.4);
    for (const n of doc.notices) pdf.font(BOLD).text(`Notice: ${pdfText(n)}.`, { width });
  }
  for (const t of doc.tables) {
    pdf.moveDown(0.8);
    table(pdf, t, left, width, bottom);
  }
  if (doc.paragraphs.length > 0) {
    pdf.moveDown(0.8);
    pdf.font(FONT).fontSize(9);
    for (const p of doc.paragraphs) {
      pdf.text(pdfText(p), left, undefined, { width });
      pdf.moveDown(0.3);
    }
  }

  const generated = `${opts.generatedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    const keep = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    const y = pdf.page.height - MARGIN - 10;
    pdf.font(FONT).fontSize(7.5).fillColor('#444444');
    pdf.text(pdfText(`${doc.title} - generated ${generated} by Soberana`), left, y, { width: width * 0.75, lineBreak: false });
    pdf.text(`Page ${i - range.start + 1} of ${range.count}`, left + width * 0.75, y, { width: width * 0.25, align: 'right', lineBreak: false });
    pdf.fillColor('black');
    pdf.page.margins.bottom = keep;
  }
  pdf.end();
  return done;
}

/** A table whose rows never split: a row that does not fit starts a new page, under a repeated header. */
function table(pdf: PDFKit.PDFDocument, t: StatementTable, left: number, width: number, bottom: () => number): void {
  const fontSize = 7.5;
  const total = t.columns.reduce((a, c) => a + c.weight, 0);
  const widths = t.columns.map((c) => (width * c.weight) / total);
  const xs = widths.map((_, i) => left + widths.slice(0, i).reduce((a, w) => a + w, 0));
  const rowHeight = (cells: readonly string[], font: string): number => {
    pdf.font(font).fontSize(fontSize);
    return Math.max(fontSize + 2 * CELL_PAD, ...cells.map((c, i) => pdf.heightOfString(pdfText(c), { width: (widths[i] as number) - 2 * CELL_PAD }) + 2 * CELL_PAD));
  };
  const drawRow = (cells: readonly string[], font: string, shade: string | null): void => {
    const h = rowHeight(cells, font);
    const y = pdf.y;
    if (shade !== null) pdf.rect(left, y, width, h).fill(shade).fillColor('black');
    pdf.font(font).fontSize(fontSize);
    cells.forEach((c, i) => {
      pdf.text(pdfText(c), (xs[i] as number) + CELL_PAD, y + CELL_PAD, { width: (widths[i] as number) - 2 * CELL_PAD, align: t.columns[i]?.align ?? 'left' });
    });
    pdf.moveTo(left, y + h).lineTo(left + width, y + h).lineWidth(0.3).strokeColor('#999999').stroke();
    pdf.x = left;
    pdf.y = y + h;
  };
  const header = t.columns.map((c) => c.header);
  const headerHeight = rowHeight(header, BOLD);
  const ensure = (h: number, withHeader: boolean): void => {
    if (pdf.y + h > bottom()) {
      pdf.addPage();
      pdf.x = left;
      pdf.y = MARGIN;
      if (withHeader) {
        pdf.font(BOLD).fontSize(8).text(pdfText(`${t.heading} (continued)`), left, pdf.y, { width });
        pdf.moveDown(0.3);
        drawRow(header, BOLD, '#e6e6e6');
      }
    }
  };
  pdf.font(BOLD).fontSize(10);
  ensure(pdf.heightOfString(pdfText(t.heading), { width }) + headerHeight + rowHeight(t.rows[0] ?? [t.empty], FONT) + 8, false);
  pdf.text(pdfText(t.heading), left, pdf.y, { width });
  pdf.moveDown(0.3);
  if (t.rows.length === 0) {
    pdf.font(FONT).fontSize(9).text(pdfText(t.empty), left, pdf.y, { width });
    return;
  }
  drawRow(header, BOLD, '#e6e6e6');
  for (const r of t.rows) {
    ensure(rowHeight(r, FONT), true);
    drawRow(r, FONT, null);
  }
  if (t.total !== null) {
    ensure(rowHeight(t.total, BOLD), true);
    drawRow(t.total, BOLD, '#f2f2f2');
  }
}
