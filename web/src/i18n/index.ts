// The page's languages (issue #18 item 7). Every visible string comes from a table here; numbers and
// dates are formatted with Intl for the chosen locale. Adding a language is adding a table (typed:
// a missing key does not compile) and a line in LANGUAGES; `dir` is ready for right-to-left (Urdu).
import { en, type MessageKey } from './en.ts';
import { es } from './es.ts';

export type { MessageKey };
export interface Language { code: string; name: string; dir: 'ltr' | 'rtl'; numberLocale: string; messages: Record<MessageKey, string> }

/** Spanish's default number locale is Latin American (El Salvador writes 1,234.56 like es-419). */
export const LANGUAGES: readonly Language[] = [
  { code: 'en', name: 'English', dir: 'ltr', numberLocale: 'en-US', messages: en },
  { code: 'es', name: 'Español', dir: 'ltr', numberLocale: 'es-419', messages: es },
];

const STORE_KEY = 'soberana.lang';
let current: Language = LANGUAGES[0] as Language;
let intlLocale = current.numberLocale;

function find(code: string | null | undefined): Language | undefined {
  if (!code) return undefined;
  const base = code.toLowerCase().split('-')[0];
  return LANGUAGES.find((l) => l.code === base);
}

function stored(): string | null {
  try {
    return localStorage.getItem(STORE_KEY);
  } catch {
    return null;
  }
}

/** The language chosen before (kept in this browser), else the browser's, else English. */
export function initLanguage(): Language {
  const lang = find(stored()) ?? find(navigator.language) ?? current;
  apply(lang);
  return lang;
}

/** Switch language and remember it in this browser. */
export function setLanguage(code: string): Language {
  const lang = find(code) ?? current;
  try {
    localStorage.setItem(STORE_KEY, lang.code);
  } catch {
    /* private mode: the choice lasts this page */
  }
  apply(lang);
  return lang;
}

function apply(lang: Language): void {
  current = lang;
  // the browser's own regional variant when it speaks this language (es-SV, en-GB), else the default
  const nav = typeof navigator !== 'undefined' ? navigator.language : '';
  intlLocale = find(nav) === lang && nav.includes('-') ? nav : lang.numberLocale;
  try {
    new Intl.NumberFormat(intlLocale);
  } catch {
    intlLocale = lang.numberLocale;
  }
  document.documentElement.lang = lang.code;
  document.documentElement.dir = lang.dir;
}

export function language(): Language {
  return current;
}

/** The BCP 47 tag numbers and dates are formatted for. */
export function locale(): string {
  return intlLocale;
}

/** The message `key` with {name} placeholders filled in. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const msg = current.messages[key] ?? en[key];
  return msg.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** Plural choice by Intl.PluralRules: `key_one` / `key_other` (n is given as {n}, formatted). */
export function tn(key: string, n: number, vars: Record<string, string | number> = {}): string {
  const rule = new Intl.PluralRules(intlLocale).select(n);
  const k = (`${key}_${rule}` in current.messages ? `${key}_${rule}` : `${key}_other`) as MessageKey;
  return t(k, { n: new Intl.NumberFormat(intlLocale).format(n), ...vars });
}

/** Whether the page's tables have a message for `key` (a code the server sent may be newer than this page). */
export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}
