/**
 * BIP-329 wallet labels: JSON Lines, one record per line,
 * `{"type":"tx"|"addr"|"pubkey"|"input"|"output"|"xpub","ref":…,"label"?,"origin"?,"spendable"?}`
 * plus the BIP's optional "additional fields" (height, time, fee, value, rate, fmv, keypath,
 * heights). Amounts (fee, value) are integer sats and become bigint.
 *
 * Rules on import, each refusal naming its line (`INVALID_IMPORT`, `details.line`):
 * - every non-blank line is a JSON object with a string `type` and a non-empty string `ref`;
 * - `ref` must be well-formed for its type (txid, txid:index, hex public key, address, xpub);
 * - `spendable` is a boolean and only on `output` records (as the BIP says);
 * - known fields must have the BIP's JSON types; integers must be exact (no floats for sats).
 * Records of a type the BIP does not define are not applied but kept verbatim (`unknown`) and
 * written back unchanged, as the BIP asks importers to ignore them. Fields we do not know on a
 * known record are kept in `extra` and written back too.
 */
import { address as btcAddress, networks } from 'bitcoinjs-lib';
import { DomainError } from '../errors.ts';
import type { Network } from '../network.ts';
import { decodeExtendedPublicKey } from '../vault/formats/slip132.ts';

export const BIP329_TYPES = ['tx', 'addr', 'pubkey', 'input', 'output', 'xpub'] as const;
export type Bip329Type = (typeof BIP329_TYPES)[number];

export interface Bip329Label {
  readonly type: Bip329Type;
  readonly ref: string;
  readonly label?: string;
  readonly origin?: string;
  /** Only on `output` records. */
  readonly spendable?: boolean;
  readonly height?: number;
  readonly time?: string;
  /** Sats paid to miners (tx). */
  readonly fee?: bigint;
  /** Sats: net effect on the wallet (tx, may be negative) or the input/output's amount. */
  readonly value?: bigint;
  /** Exchange rate per currency code, as written (decimal numbers). */
  readonly rate?: Readonly<Record<string, number>>;
  /** Fair market value per currency code, as written. */
  readonly fmv?: Readonly<Record<string, number>>;
  readonly keypath?: string;
  readonly heights?: readonly number[];
  /** Fields the BIP does not define, kept for export. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface Bip329UnknownRecord {
  readonly line: number;
  readonly type: string;
  /** The line exactly as read. */
  readonly raw: string;
}

export interface Bip329Document {
  readonly labels: readonly Bip329Label[];
  readonly unknown: readonly Bip329UnknownRecord[];
}

const KNOWN_FIELDS = new Set(['type', 'ref', 'label', 'origin', 'spendable', 'height', 'time', 'fee', 'value', 'rate', 'fmv', 'keypath', 'heights']);

function fail(line: number, what: string): DomainError {
  return new DomainError('INVALID_IMPORT', `labels line ${line}: ${what}`, { line });
}

function libNet(n: Network): networks.Network {
  return n === 'main' ? networks.bitcoin : n === 'regtest' ? networks.regtest : networks.testnet;
}

const TXID = /^[0-9a-fA-F]{64}$/;

function checkRef(type: Bip329Type, ref: string, line: number, network: Network | undefined): void {
  switch (type) {
    case 'tx':
      if (!TXID.test(ref)) throw fail(line, 'a tx ref must be a 64-hex-digit transaction id');
      return;
    case 'input':
    case 'output': {
      const m = /^([0-9a-fA-F]{64}):(\d{1,10})$/.exec(ref);
      if (!m || Number(m[2]) > 0xffffffff) throw fail(line, `an ${type} ref must be "txid:index"`);
      return;
    }
    case 'pubkey':
      if (!/^(?:[0-9a-fA-F]{64}|0[23][0-9a-fA-F]{64}|04[0-9a-fA-F]{128})$/.test(ref)) throw fail(line, 'a pubkey ref must be a 32, 33 or 65 byte public key in hex');
      return;
    case 'addr':
      if (network) {
        try {
          btcAddress.toOutputScript(ref, libNet(network));
        } catch {
          throw fail(line, `"${ref.slice(0, 64)}" is not a ${network} address`);
        }
      } else if (!/^[a-zA-Z0-9]{14,90}$/.test(ref)) throw fail(line, `"${ref.slice(0, 64)}" is not an address`);
      return;
    case 'xpub':
      try {
        decodeExtendedPublicKey(ref);
      } catch {
        throw fail(line, 'an xpub ref must be an extended public key');
      }
      return;
  }
}

function int(v: unknown, line: number, field: string, min?: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || (min !== undefined && v < min)) {
    throw fail(line, `"${field}" must be ${min === 0 ? 'a non-negative' : 'an'} integer`);
  }
  return v;
}

function currencyMap(v: unknown, line: number, field: string): Record<string, number> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(line, `"${field}" must be an object of currency codes to numbers`);
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) {
    if (typeof n !== 'number' || !Number.isFinite(n)) throw fail(line, `"${field}.${k}" must be a number`);
    out[k] = n;
  }
  return out;
}

/**
 * Parse a BIP-329 export. With `network`, `addr` refs must be addresses of that network.
 * @example parseBip329('{"type":"tx","ref":"f91d…","label":"Purchase 2024-05"}\n').labels[0]?.label
 */
export function parseBip329(text: string, opts: { network?: Network } = {}): Bip329Document {
  const labels: Bip329Label[] = [];
  const unknown: Bip329UnknownRecord[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((rawLine, i) => {
    const line = i + 1;
    const raw = rawLine.replace(/\r$/, '');
    if (raw.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(raw);
    } catch {
      throw fail(line, 'not valid JSON');
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw fail(line, 'not a JSON object');
    const r = rec as Record<string, unknown>;
    const type = r['type'];
    const ref = r['ref'];
    if (typeof type !== 'string' || type === '') throw fail(line, 'missing "type"');
    if (typeof ref !== 'string' || ref === '') throw fail(line, 'missing "ref"');
    if (!(BIP329_TYPES as readonly string[]).includes(type)) {
      unknown.push({ line, type, raw });
      return;
    }
    const t = type as Bip329Type;
    checkRef(t, ref, line, opts.network);
    const out: { -readonly [K in keyof Bip329Label]: Bip329Label[K] } = { type: t, ref };
    if (r['label'] !== undefined) {
      if (typeof r['label'] !== 'string') throw fail(line, '"label" must be a string');
      out.label = r['label'];
    }
    if (r['origin'] !== undefined) {
      if (typeof r['origin'] !== 'string') throw fail(line, '"origin" must be a string');
      out.origin = r['origin'];
    }
    if (r['spendable'] !== undefined) {
      if (t !== 'output') throw fail(line, '"spendable" is only allowed on output records');
      if (typeof r['spendable'] !== 'boolean') throw fail(line, '"spendable" must be true or false (not a string)');
      out.spendable = r['spendable'];
    }
    if (r['height'] !== undefined) out.height = int(r['height'], line, 'height', 0);
    if (r['time'] !== undefined) {
      if (typeof r['time'] !== 'string') throw fail(line, '"time" must be an ISO-8601 string');
      out.time = r['time'];
    }
    if (r['fee'] !== undefined) out.fee = BigInt(int(r['fee'], line, 'fee', 0));
    if (r['value'] !== undefined) out.value = BigInt(int(r['value'], line, 'value', t === 'tx' ? undefined : 0));
    if (r['rate'] !== undefined) out.rate = currencyMap(r['rate'], line, 'rate');
    if (r['fmv'] !== undefined) out.fmv = currencyMap(r['fmv'], line, 'fmv');
    if (r['keypath'] !== undefined) {
      if (typeof r['keypath'] !== 'string') throw fail(line, '"keypath" must be a string');
      out.keypath = r['keypath'];
    }
    if (r['heights'] !== undefined) {
      const h = r['heights'];
      if (!Array.isArray(h)) throw fail(line, '"heights" must be a list of block heights');
      out.heights = h.map((x) => int(x, line, 'heights', 0));
    }
    const extra = Object.fromEntries(Object.entries(r).filter(([k]) => !KNOWN_FIELDS.has(k)));
    if (Object.keys(extra).length > 0) out.extra = extra;
    labels.push(out);
  });
  return { labels, unknown };
}

function jsonValue(v: unknown): string {
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
}

/**
 * One BIP-329 line per label (fields in the BIP's order, sats as JSON integers), then the
 * unknown-type records verbatim; every line ends with "\n".
 * @example serializeBip329([{ type: 'output', ref: 'f91d…:1', label: 'cold', spendable: false }])
 */
export function serializeBip329(labels: readonly Bip329Label[], unknown: readonly Bip329UnknownRecord[] = []): string {
  const lines = labels.map((l) => {
    if (l.spendable !== undefined && l.type !== 'output') throw new TypeError(`serializeBip329: spendable on a ${l.type} record`);
    const fields: [string, unknown][] = [
      ['type', l.type], ['ref', l.ref], ['label', l.label], ['origin', l.origin], ['spendable', l.spendable],
      ['height', l.height], ['time', l.time], ['fee', l.fee], ['value', l.value], ['rate', l.rate], ['fmv', l.fmv],
      ['keypath', l.keypath], ['heights', l.heights], ...Object.entries(l.extra ?? {}),
    ];
    return `{${fields.filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${jsonValue(v)}`).join(',')}}`;
  });
  return [...lines, ...unknown.map((u) => u.raw)].map((l) => `${l}\n`).join('');
}
