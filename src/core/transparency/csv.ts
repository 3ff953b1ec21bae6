/**
 * CSV for the public open-data downloads (issue #18 item 8): RFC 4180 (comma, CRLF, a header row,
 * fields with a comma, quote, CR or LF in double quotes, quotes doubled), and safe to open in a
 * spreadsheet: a text cell starting with = + - @, a tab or a carriage return is prefixed with an
 * apostrophe so it is never read as a formula. Exact decimal numbers (`-12345678`, `0.00012345`)
 * are left as they are: a number is not a formula, and amounts must stay numbers.
 */

const NUMBER = /^-?\d+(\.\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One field, escaped. `null` is an empty field. */
export function csvCell(v: string | number | bigint | null): string {
  if (v === null) return '';
  let s = typeof v === 'string' ? v : v.toString();
  if (!NUMBER.test(s) && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A whole file: the header row, then one line per row, each ended by CRLF. */
export function csvTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | bigint | null>>): string {
  for (const r of rows) if (r.length !== header.length) throw new RangeError(`csvTable: a row has ${r.length} fields, the header ${header.length}`);
  return [header, ...rows].map((r) => `${r.map(csvCell).join(',')}\r\n`).join('');
}

/** Parse RFC 4180 text back into rows (for tests and for anyone checking a download). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    field += c; i++;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}
