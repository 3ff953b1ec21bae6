/**
 * A sentence for people as a code and its parameters (issue #18 item 7): the server keeps saying it
 * in English (`notices`, `text`), and beside it sends what a page needs to say it in the reader's
 * language from its own tables. Parameters are plain strings: ISO days ("2026-08-22"), integers and
 * exact decimals ("102", "43.8"), currency codes, amounts in minor units ("1392577095"). Pure.
 *
 * @example const said: CodedSentence = { code: 'valued-at-old-price', params: { pair: 'BTC/USD', date: '2026-08-22', days: '102' } };
 */
export interface CodedSentence {
  readonly code: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * A coded sentence (a helper so that call sites read as sentences).
 * @example coded('valued-at-old-price', { pair: 'BTC/USD', date: '2026-08-22', days: 102 }).params.days === '102'
 */
export function coded(code: string, params: Readonly<Record<string, string | number | bigint>> = {}): CodedSentence {
  return { code, params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) };
}
