/**
 * Screening (issue #16 item 6): counterparties and payout addresses are checked against a
 * configurable screening list (a sanctions-list file); a match holds the item for a compliance
 * officer's decision. Pure: the list is parsed from text, matching is a function.
 *
 * The list file, JSON:
 * ```json
 * { "source": "Alliance consolidated list, 2026-12-01",
 *   "entries": [ { "id": "E1", "names": ["Acme Trading LLC"], "countries": ["PRK"], "addresses": ["bcrt1q…"] } ] }
 * ```
 * or CSV with the header `id,type,value`, one listed value a row (`type` is name, country or address):
 * ```
 * id,type,value
 * E1,name,Acme Trading LLC
 * E1,country,PRK
 * ```
 * Matching: a listed name matches when its words appear, in order and as whole words, in a screened
 * name (case, accents and punctuation ignored: "ACME trading, L.L.C." is not "Acme Trading LLC",
 * but "Acme Trading LLC Karachi branch" is); a country matches a member's code or its state's name
 * exactly (case ignored); an address matches exactly (case ignored, bech32 is case-insensitive).
 */
import { DomainError } from '../errors.ts';

export interface ScreeningEntry {
  readonly id: string;
  readonly names: readonly string[];
  readonly countries: readonly string[];
  readonly addresses: readonly string[];
}

export interface ScreeningList {
  readonly source: string;
  readonly entries: readonly ScreeningEntry[];
}

/** One hit: which entry, on which field, the listed value and what it matched. */
export interface ScreeningMatch {
  readonly entry: string;
  readonly field: 'name' | 'country' | 'address';
  readonly listed: string;
  readonly screened: string;
}

/** What is screened: names (a state, an institution, a trading party), countries, addresses. */
export interface ScreenedParty {
  readonly names?: readonly (string | null | undefined)[];
  readonly countries?: readonly (string | null | undefined)[];
  readonly addresses?: readonly (string | null | undefined)[];
}

export const SCREENING_LIMITS = { maxEntries: 100_000, maxValueLength: 300 } as const;

const bad = (origin: string, where: string, what: string): DomainError => new DomainError('MALFORMED_DATA', `${origin}${where}: ${what}`);

function value(v: unknown, origin: string, where: string): string {
  if (typeof v !== 'string') throw bad(origin, where, 'expected a string');
  const t = v.trim();
  if (t === '') throw bad(origin, where, 'is empty');
  if (t.length > SCREENING_LIMITS.maxValueLength) throw bad(origin, where, `is longer than ${SCREENING_LIMITS.maxValueLength} characters`);
  return t;
}

function list(v: unknown, origin: string, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad(origin, where, 'expected an array of strings');
  return v.map((x, i) => value(x, origin, `${where}[${i}]`));
}

/**
 * Parse a screening list (JSON or CSV, see above). Text starting with `{` is JSON.
 * @example parseScreeningList('id,type,value\nE1,name,Acme Trading\n', 'list.csv').entries[0].names // ['Acme Trading']
 * @throws DomainError MALFORMED_DATA naming the place
 */
export function parseScreeningList(text: string, origin = 'screening list'): ScreeningList {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw new DomainError('MALFORMED_DATA', `${origin} is empty`);
  const entries = body.startsWith('{') ? jsonEntries(body, origin) : csvEntries(body, origin);
  if (entries.entries.length > SCREENING_LIMITS.maxEntries) throw new DomainError('MALFORMED_DATA', `${origin} has more than ${SCREENING_LIMITS.maxEntries} entries`);
  const ids = new Set<string>();
  for (const e of entries.entries) {
    if (ids.has(e.id)) throw new DomainError('MALFORMED_DATA', `${origin}: entry id "${e.id}" appears twice`);
    ids.add(e.id);
    if (e.names.length + e.countries.length + e.addresses.length === 0) throw new DomainError('MALFORMED_DATA', `${origin}: entry "${e.id}" lists nothing`);
  }
  return entries;
}

function jsonEntries(body: string, origin: string): ScreeningList {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new DomainError('MALFORMED_DATA', `${origin} is not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad(origin, '', 'expected an object with "source" and "entries"');
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'source' && k !== 'entries') throw bad(origin, '', `unknown field "${k.slice(0, 40)}"`);
  const source = value(o.source, origin, ' "source"');
  if (!Array.isArray(o.entries)) throw bad(origin, ' "entries"', 'expected an array');
  const entries = o.entries.map((item, i): ScreeningEntry => {
    const where = ` entry ${i + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw bad(origin, where, 'expected an object');
    const e = item as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!['id', 'names', 'countries', 'addresses'].includes(k)) throw bad(origin, where, `unknown field "${k.slice(0, 40)}"`);
    return { id: value(e.id, origin, `${where} "id"`), names: list(e.names, origin, `${where} "names"`), countries: list(e.countries, origin, `${where} "countries"`), addresses: list(e.addresses, origin, `${where} "addresses"`) };
  });
  return { source, entries };
}

function csvEntries(body: string, origin: string): ScreeningList {
  const lines = body.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  if (header.join(',') !== 'id,type,value') throw bad(origin, ' line 1', 'the header must be "id,type,value"');
  const byId = new Map<string, { names: string[]; countries: string[]; addresses: string[] }>();
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const where = ` line ${i + 2}`;
    const first = line.indexOf(',');
    const second = first < 0 ? -1 : line.indexOf(',', first + 1);
    if (second < 0) throw bad(origin, where, 'expected id,type,value');
    const id = value(line.slice(0, first), origin, `${where} id`);
    const type = line.slice(first + 1, second).trim().toLowerCase();
    const v = value(line.slice(second + 1).replace(/^"(.*)"$/, '$1'), origin, `${where} value`);
    const e = byId.get(id) ?? { names: [], countries: [], addresses: [] };
    byId.set(id, e);
    if (type === 'name') e.names.push(v);
    else if (type === 'country') e.countries.push(v);
    else if (type === 'address') e.addresses.push(v);
    else throw bad(origin, where, `type must be name, country or address, got "${type.slice(0, 20)}"`);
  });
  return { source: origin, entries: [...byId].map(([id, e]) => ({ id, ...e })) };
}

/** A name reduced to lower-case words without accents or punctuation, space-padded. */
export function normalizeName(name: string): string {
  const words = name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  return ` ${words} `;
}

/**
 * Every match of a party against the list (empty: no match).
 * @example screen(list, { names: ['Acme Trading LLC, Karachi'] }) // [{ entry: 'E1', field: 'name', … }]
 */
export function screen(list: ScreeningList, party: ScreenedParty): ScreeningMatch[] {
  const names = (party.names ?? []).filter((n): n is string => typeof n === 'string' && n.trim() !== '').map((n) => ({ n, norm: normalizeName(n) }));
  const countries = (party.countries ?? []).filter((c): c is string => typeof c === 'string' && c.trim() !== '').map((c) => ({ c, norm: c.trim().toLowerCase() }));
  const addresses = (party.addresses ?? []).filter((a): a is string => typeof a === 'string' && a.trim() !== '').map((a) => ({ a, norm: a.trim().toLowerCase() }));
  const out: ScreeningMatch[] = [];
  for (const e of list.entries) {
    for (const listed of e.names) {
      const norm = normalizeName(listed);
      if (norm.trim() === '') continue;
      for (const s of names) if (s.norm.includes(norm)) out.push({ entry: e.id, field: 'name', listed, screened: s.n });
    }
    for (const listed of e.countries) {
      const norm = listed.trim().toLowerCase();
      for (const s of countries) if (s.norm === norm) out.push({ entry: e.id, field: 'country', listed, screened: s.c });
    }
    for (const listed of e.addresses) {
      const norm = listed.trim().toLowerCase();
      for (const s of addresses) if (s.norm === norm) out.push({ entry: e.id, field: 'address', listed, screened: s.a });
    }
  }
  return out;
}
