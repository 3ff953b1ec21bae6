// Sentences the server sends as a code and its parameters (src/core/text/coded-sentence.ts), said in
// the page's language (issue #18 item 7): days become the locale's dates, amounts in minor units
// become money with the currency's ISO 4217 digits, sats become BTC, percentages take the locale's
// decimal sign. A code this page does not know gives null: the caller shows the server's English,
// marked lang="en".
import { btc, integer, longDate, money, percent } from './format.ts';
import { hasMessage, t, tn } from './i18n/index.ts';

export interface CodedSentence { code: string; params: Record<string, string> }

const DATES = new Set(['date', 'from', 'to', 'asOf', 'day', 'used']);
const AMOUNTS = new Set(['value', 'var', 'es', 'loss', 'more', 'price', 'amount']);
const COUNTS = new Set(['c', 'tail', 'obs', 'horizon', 'n']);
/** Codes whose {days} is an age ("102 days old"), not a count in the sentence ("over the 30 days"). */
const AGES = new Set(['risk.value.old', 'notice.valued-at-old-price', 'notice.converted-at-old-rate', 'notice.risk-measured-old-prices']);
const METHODS: Record<string, Parameters<typeof t>[0]> = { fifo: 'books.method.fifo', average: 'books.method.average', specific: 'books.method.specific' };

/** "-76.7" -> "−76.7" with the locale's decimal sign. */
function signedPercent(p: string): string {
  return p.startsWith('-') ? `−${percent(p.slice(1))}` : percent(p);
}

/**
 * The sentence in the page's language, or null when this page has no words for its code.
 * @param prefix the table's prefix for the code ('notice.' for notices; risk codes carry their own)
 */
export function saidWords(said: CodedSentence | undefined, prefix = ''): string | null {
  if (!said) return null;
  const key = `${prefix}${said.code}`;
  if (!hasMessage(key)) return null;
  const p = said.params;
  const vars: Record<string, string> = {};
  const digits = p.digits !== undefined && /^\d+$/.test(p.digits) ? Number(p.digits) : undefined;
  for (const [k, v] of Object.entries(p)) {
    if (DATES.has(k) && /^\d{4}-\d{2}-\d{2}$/.test(v)) vars[k] = longDate(v);
    else if (AMOUNTS.has(k) && p.currency && /^-?\d+$/.test(v)) vars[k] = money(v, p.currency, digits);
    else if (COUNTS.has(k) && /^\d+$/.test(v)) vars[k] = integer(Number(v));
    else if (k === 'pct') vars[k] = signedPercent(v);
    else if (k === 'sats' && /^\d+$/.test(v)) vars.btc = btc(v);
    else if (k === 'days' && /^\d+$/.test(v)) vars[k] = AGES.has(key) ? tn('books.days', Number(v)) : integer(Number(v));
    else if (k === 'day' && /^\d+$/.test(v)) vars.days = tn('books.days', Number(v));
    else if (k === 'method') vars[k] = METHODS[v] ? t(METHODS[v]) : v;
    else vars[k] = v;
  }
  if (p.period) vars.name = `${p.name ?? ''} (${p.period})`;
  return t(key, vars);
}
