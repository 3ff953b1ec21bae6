/**
 * Reads back the text of a PDF made by pdfkit, for the statement tests (not a test file itself).
 */
import { inflateSync } from 'node:zlib';

/** The text of a PDF made by pdfkit: every content stream inflated, each text object's strings joined, one line per text object. */
export function pdfLines(pdf: Buffer): string[] {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  const re = /\bstream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw)) !== null) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    if (end < 0) break;
    const dict = raw.slice(raw.lastIndexOf('<<', m.index), m.index);
    let body = pdf.subarray(start, end);
    if (/\/FlateDecode/.test(dict)) {
      try { body = inflateSync(body); } catch { continue; }
    }
    const text = body.toString('latin1');
    for (const bt of text.split(/\bBT\b/).slice(1)) {
      const block = bt.split(/\bET\b/)[0] ?? '';
      let line = '';
      for (const h of block.matchAll(/<([0-9a-fA-F]*)>/g)) line += Buffer.from(h[1] ?? '', 'hex').toString('latin1');
      for (const p of block.matchAll(/\(((?:\\.|[^\\)])*)\)\s*Tj/g)) line += p[1] ?? '';
      if (line.length > 0) lines.push(line);
    }
    re.lastIndex = end;
  }
  return lines;
}
