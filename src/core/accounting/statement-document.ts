/**
 * A statement laid out for print (issue #13, item 5): what a PDF (or any printed form) of a report
 * shows, already formatted as text, built by src/app/accounting/statement-documents.ts from the SAME
 * statement objects that `--json` and `--format csv` print — so the printed figures cannot differ
 * from the data. Pure types; the renderer is src/adapters/report/pdf-statement.ts.
 */

/** One column of a table: its header, its alignment (figures right), and its share of the width. */
export interface StatementColumn {
  readonly header: string;
  readonly align: 'left' | 'right';
  /** Relative width (the columns' weights are scaled to the page width). */
  readonly weight: number;
}

/** A table; rows may run over several pages (the header is repeated on each). */
export interface StatementTable {
  readonly heading: string;
  readonly columns: readonly StatementColumn[];
  readonly rows: readonly (readonly string[])[];
  /** A last row printed in bold (totals), or null. */
  readonly total: readonly string[] | null;
  /** Shown instead of an empty table. */
  readonly empty: string;
}

export interface StatementDocument {
  /** e.g. "Balance sheet at 2025-12-31". */
  readonly title: string;
  /** Label/value lines under the title: vaults, period, price and its source, method, currency. */
  readonly facts: readonly { readonly label: string; readonly value: string }[];
  /** Stale prices, conversions, defaults: printed before the tables, never left out. */
  readonly notices: readonly string[];
  readonly tables: readonly StatementTable[];
  /** Paragraphs after the tables (e.g. the risk report's sentences). */
  readonly paragraphs: readonly string[];
}
