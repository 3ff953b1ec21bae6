/**
 * "What people read is what is true": free text that users typed (memos, labels, names, reasons)
 * is shown with every character that could change what the reader sees made visible, so a memo
 * cannot move the cursor, erase a line, reorder text or hide characters on a terminal, in JSON or
 * on the dashboard.
 *
 * Escaped, as `\uXXXX` (`\u{XXXXX}` above the BMP; `\n`, `\t`, `\r` for those three):
 * - C0 controls U+0000–U+001F (including line feed and tab: a single-line field has none), DEL
 *   U+007F and C1 controls U+0080–U+009F (terminal escape sequences start with ESC or CSI);
 * - bidirectional controls: embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, the
 *   marks U+200E, U+200F and U+061C (they reorder what is displayed, not what is stored);
 * - invisible format characters that disguise text: soft hyphen U+00AD, Mongolian vowel separator
 *   U+180E, zero width space U+200B, line/paragraph separators U+2028/U+2029, word joiner and
 *   invisible operators U+2060–U+2064, deprecated format characters U+206A–U+206F, the byte order
 *   mark U+FEFF, interlinear annotation U+FFF9–U+FFFB, Hangul fillers (U+115F, U+1160, U+3164,
 *   U+FFA0), shorthand and musical format controls, tag characters U+E0000–U+E007F;
 * - lone surrogates (half a character: not text at all).
 *
 * Kept: every letter of every script, including right-to-left Arabic and Urdu (their direction
 * comes from the letters themselves), and the zero width (non-)joiner U+200C/U+200D, which Persian,
 * Urdu, Indic scripts and emoji need. A backslash is kept as it is: text that already reads
 * `\u001b` is shown as typed. Look-alike letters (Cyrillic "а" for Latin "a") are not this
 * function's business.
 *
 * Pure: no I/O. The CLI (`src/cli/context.ts`, `src/cli/main.ts`), the HTTP API
 * (`src/server/plain-text.ts`) and the dashboard (`web/src/dom.ts`) all use it.
 */

/** Every character `displaySafe` escapes (the `u` flag makes a lone surrogate one code point). */
const UNSAFE_CLASS =
  '[\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u115f\\u1160\\u180e\\u200b\\u200e\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\u3164\\ufeff\\uffa0\\ufff9-\\ufffb\\u{1bca0}-\\u{1bca3}\\u{1d173}-\\u{1d17a}\\u{e0000}-\\u{e007f}\\u{d800}-\\u{dfff}]';
const UNSAFE_ONE = new RegExp(UNSAFE_CLASS, 'u');
const UNSAFE_ALL = new RegExp(UNSAFE_CLASS, 'gu');
const BLANK = /^\s*$/u;

export interface DisplaySafeOptions {
  /**
   * The text is a whole document (a policy file, an exported wallet configuration, a report):
   * keep its line feeds, tabs and CR LF line ends; everything else is still escaped, including a
   * lone carriage return (it moves the cursor back over the line). Default false: a single-line
   * field, where a line break could forge a line of the surrounding output.
   */
  readonly multiline?: boolean;
}

function escapeChar(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  const cp = ch.codePointAt(0) as number;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** Whether `text` holds any character that `displaySafe` would escape. */
export function hasHiddenCharacters(text: string): boolean {
  // fast path: printable ASCII is the common case and never needs the regular expression
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return UNSAFE_ONE.test(text);
  }
  return false;
}

/**
 * The text as it may be shown to a person: control, bidirectional-override and invisible format
 * characters written out visibly as escapes; everything else unchanged. Idempotent (the escapes
 * are plain ASCII).
 *
 * @example
 *   displaySafe('settlement\u001b[1A\u001b[2K\r10 BTC') === 'settlement\\u001b[1A\\u001b[2K\\r10 BTC'
 *   displaySafe('pago \u202egnp.exe') === 'pago \\u202egnp.exe'
 *   displaySafe('line one\nline two') === 'line one\\nline two'
 *   displaySafe('line one\nline two', { multiline: true }) === 'line one\nline two'
 *   displaySafe('Reserva — احتياطي البنك المركزي') === 'Reserva — احتياطي البنك المركزي'
 */
export function displaySafe(text: string, opts: DisplaySafeOptions = {}): string {
  if (!hasHiddenCharacters(text)) return text;
  const multiline = opts.multiline === true;
  return text.replace(UNSAFE_ALL, (ch: string, offset: number, whole: string) => {
    if (multiline && (ch === '\n' || ch === '\t' || (ch === '\r' && whole[offset + 1] === '\n'))) return ch;
    return escapeChar(ch);
  });
}

/**
 * Keys whose string values are whole documents rather than single-line fields: the policy
 * document as adopted (API), an exported wallet configuration or labels file printed with --json
 * (CLI). `displaySafeDeep` keeps their line breaks and tabs.
 */
export const DOCUMENT_KEYS: ReadonlySet<string> = new Set(['document', 'content']);

export interface DisplaySafeDeepOptions {
  /** Keys whose string values are escaped with `{ multiline: true }` (default `DOCUMENT_KEYS`). */
  readonly multilineKeys?: ReadonlySet<string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function walk(value: unknown, multiline: boolean, keys: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return displaySafe(value, { multiline });
  if (!isObject(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const x: unknown = value[i];
      const y = walk(x, false, keys);
      if (y !== x) (out ??= value.slice())[i] = y;
    }
    return out ?? value;
  }
  // what JSON.stringify would print: a Date becomes its ISO string, and so on
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const j: unknown = toJSON.call(value);
    const y = walk(j, multiline, keys);
    return y === j ? value : y;
  }
  // copy on the first change only: a clean object (the common case) allocates nothing
  const names = Object.keys(value);
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < names.length; i++) {
    const k = names[i] as string;
    const x = value[k];
    const k2 = displaySafe(k);
    const x2 = walk(x, keys.has(k), keys);
    if (out === undefined && (k2 !== k || x2 !== x)) {
      out = {};
      for (let j = 0; j < i; j++) define(out, names[j] as string, value[names[j] as string]);
    }
    if (out !== undefined) define(out, k2, x2);
  }
  return out ?? value;
}

/** `o[k] = v` that makes an own property even for "__proto__". */
function define(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * `value` with `displaySafe` applied to every string in it (object keys too), for JSON output.
 * Arrays and objects are copied only where something changed: a clean value comes back as the
 * same reference. Strings under `DOCUMENT_KEYS` keep their line breaks. Bigints, numbers, binary
 * buffers and other non-text values are returned as they are.
 *
 * @example
 *   displaySafeDeep({ memo: 'a\u001b[2Kb', sats: 5n }) // { memo: 'a\\u001b[2Kb', sats: 5n }
 */
export function displaySafeDeep<T>(value: T, opts: DisplaySafeDeepOptions = {}): T {
  return walk(value, false, opts.multilineKeys ?? DOCUMENT_KEYS) as T;
}

function hiddenFields(value: unknown, multiline: boolean, keys: ReadonlySet<string>, out: Set<string>): void {
  if (typeof value === 'string') {
    if (!multiline && hasHiddenCharacters(value) && !BLANK.test(value)) out.add(value);
    return;
  }
  if (!isObject(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  if (Array.isArray(value)) {
    for (const x of value) hiddenFields(x, false, keys, out);
    return;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return hiddenFields(toJSON.call(value), multiline, keys, out);
  for (const k of Object.keys(value)) {
    hiddenFields(k, false, keys, out);
    hiddenFields(value[k], keys.has(k), keys, out);
  }
}

/**
 * A human report (several lines) built from `data`, made safe to show: every single-line text
 * field of `data` that appears verbatim in the report is escaped as a single-line field (so a line
 * break in a memo cannot forge a line of the report), then the rest of the report is escaped as a
 * document (its own line breaks kept). A field that is only whitespace is left to the second step.
 *
 * @example
 *   const p = { memo: 'ok\n  pay:       0.1 BTC to bc1q…' };
 *   displaySafeReport(`memo: ${p.memo}\n  pay:       9 BTC to bc1q…`, p)
 *   // 'memo: ok\\n  pay:       0.1 BTC to bc1q…\n  pay:       9 BTC to bc1q…'
 */
export function displaySafeReport(report: string, data: unknown, opts: DisplaySafeDeepOptions = {}): string {
  const fields = new Set<string>();
  hiddenFields(data, false, opts.multilineKeys ?? DOCUMENT_KEYS, fields);
  let text = report;
  // longest first, so a field containing another is escaped whole
  for (const f of [...fields].sort((a, b) => b.length - a.length)) {
    if (text.includes(f)) text = text.split(f).join(displaySafe(f));
  }
  return displaySafe(text, { multiline: true });
}
