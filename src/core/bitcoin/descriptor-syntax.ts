/**
 * The shape of an output descriptor (BIP380–389): a small syntax tree, its key expressions and
 * their paths, and the checks the parsing library leaves to us (key origins, hardened markers,
 * BIP389 multipath tuples, hardened steps after an xpub). Script semantics (which fragments may
 * nest where, miniscript typing, taproot trees) stay with @bitcoinerlab/descriptors.
 */
import { DomainError } from '../errors.ts';
import { checkDescriptorBounds } from './descriptor-bounds.ts';
import { bip32 } from './ecc.ts';
import { networks } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import { ecc } from './ecc.ts';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/** A node of the descriptor syntax: `name(args…)`, a taproot `{a,b}` branch, or a bare token. */
export type SyntaxNode =
  | { readonly kind: 'fn'; readonly name: string; readonly args: readonly SyntaxNode[] }
  | { readonly kind: 'tree'; readonly children: readonly SyntaxNode[] }
  | { readonly kind: 'leaf'; readonly text: string };

/** One step of a derivation path. */
export type PathStep =
  | { readonly kind: 'index'; readonly index: number; readonly hardened: boolean }
  | { readonly kind: 'wildcard'; readonly hardened: boolean }
  | { readonly kind: 'multipath'; readonly options: readonly { readonly index: number; readonly hardened: boolean }[] };

/** A key expression as written, taken apart. */
export interface KeyExpression {
  readonly text: string;
  readonly fingerprint: string | null;
  /** Origin steps as written after the fingerprint, e.g. ["48'", "0'"] (h normalised to '). */
  readonly originSteps: readonly string[] | null;
  readonly kind: 'xpub' | 'xprv' | 'hex' | 'wif';
  /** The key itself (xpub/xprv/hex/WIF) without origin and path. */
  readonly body: string;
  /** The public extended key (xpub/tpub), the neutered form for an xprv; null for single keys. */
  readonly xpub: string | null;
  /** Hex public key for single keys (from the WIF for private ones); null for extended keys. */
  readonly pubkey: string | null;
  /** Steps after the key, e.g. "<0;1>/*" → [multipath, wildcard]. */
  readonly steps: readonly PathStep[];
  /** The steps after the key as written, without the leading '/'. */
  readonly childPath: string;
  /** 'main' or 'test' from the key's encoding; null for hex public keys. */
  readonly network: 'main' | 'test' | null;
  /** The name of the function directly around the key ("sortedmulti", "pk", "tr", …). */
  readonly context: string;
  /** Index of the multisig fragment the key belongs to (for duplicate checks), or -1. */
  readonly multisigGroup: number;
}

/** Characters a descriptor may contain (BIP380 INPUT_CHARSET). */
export const INPUT_CHARSET = '0123456789()[],\'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#"\\ ';

const bad = (message: string): DomainError => new DomainError('INVALID_DESCRIPTOR', message);

/**
 * Parse the text of a descriptor (without its `#checksum`) into a syntax tree.
 * @example parseSyntax('wpkh(02…)') // {kind:'fn', name:'wpkh', args:[{kind:'leaf', text:'02…'}]}
 */
export function parseSyntax(body: string): SyntaxNode {
  checkDescriptorBounds(body); // the recursion below must not meet an unbounded nesting
  let i = 0;
  const node = (): SyntaxNode => {
    if (body[i] === '{') {
      i++;
      const children = [node()];
      while (body[i] === ',') {
        i++;
        children.push(node());
      }
      if (body[i] !== '}') throw bad(`expected "}" at position ${i} of the descriptor`);
      i++;
      return { kind: 'tree', children };
    }
    const start = i;
    while (i < body.length && !',(){}'.includes(body[i] as string)) i++;
    const token = body.slice(start, i);
    if (body[i] === '(') {
      if (!/^[a-z_0-9:]+$/.test(token)) throw bad(`"${token}" is not a descriptor function name`);
      const unsupported = UNSUPPORTED[token];
      if (unsupported) throw bad(`${token}() ${unsupported} is not supported (the descriptor library, @bitcoinerlab/descriptors, does not implement it)`);
      i++;
      const args: SyntaxNode[] = [];
      if (body[i] !== ')') {
        args.push(node());
        while (body[i] === ',') {
          i++;
          args.push(node());
        }
      }
      if (body[i] !== ')') throw bad(`expected ")" at position ${i} of the descriptor`);
      i++;
      return { kind: 'fn', name: token, args };
    }
    if (token === '') throw bad(`empty argument at position ${i} of the descriptor`);
    return { kind: 'leaf', text: token };
  };
  const root = node();
  if (i !== body.length) throw bad(`unexpected "${body.slice(i, i + 10)}" after the end of the descriptor`);
  return root;
}

/** Standard descriptor functions the parsing library does not implement. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  raw: '(BIP385 raw script)',
  combo: '(BIP384)',
  rawtr: '(raw taproot output key)',
  musig: '(BIP390 MuSig2 key aggregation)',
};

/** Functions whose arguments are not key expressions. */
const NON_KEY_FUNCTIONS = new Set(['addr', 'raw', 'older', 'after', 'sha256', 'hash256', 'ripemd160', 'hash160']);
/** Functions whose first argument is a threshold. */
export const THRESHOLD_FUNCTIONS = new Set(['multi', 'sortedmulti', 'multi_a', 'sortedmulti_a', 'thresh']);
/** Multisig fragments (keys inside one of these must all differ). */
export const MULTISIG_FUNCTIONS = new Set(['multi', 'sortedmulti', 'multi_a', 'sortedmulti_a']);

/** Strip miniscript wrappers such as "v:" from a fragment name: "v:pk" → "pk". */
export function baseName(name: string): string {
  const colon = name.lastIndexOf(':');
  return colon >= 0 ? name.slice(colon + 1) : name;
}

/**
 * Every key expression in the tree, in order, parsed and checked.
 * Throws `DomainError('INVALID_DESCRIPTOR')` naming the first bad key.
 */
export function collectKeys(root: SyntaxNode): KeyExpression[] {
  const out: KeyExpression[] = [];
  let group = 0;
  const walk = (n: SyntaxNode, context: string, multisigGroup: number): void => {
    if (n.kind === 'tree') {
      for (const c of n.children) walk(c, context, multisigGroup);
      return;
    }
    if (n.kind === 'leaf') {
      if (n.text === '0' || n.text === '1') return; // miniscript's constant fragments
      out.push(parseKeyExpression(n.text, context, multisigGroup));
      return;
    }
    const name = baseName(n.name);
    if (NON_KEY_FUNCTIONS.has(name)) return;
    const myGroup = MULTISIG_FUNCTIONS.has(name) ? group++ : -1;
    n.args.forEach((a, idx) => {
      if (idx === 0 && THRESHOLD_FUNCTIONS.has(name)) return;
      walk(a, name, myGroup);
    });
  };
  walk(root, '', -1);
  return out;
}

const STEP = /^(\d+)(h|')?$/;

function parseIndex(text: string, where: string, keyText: string): { index: number; hardened: boolean } {
  const m = STEP.exec(text);
  if (!m) {
    if (/^\d+H$/.test(text)) throw bad(`hardened step "${text}" ${where} of key ${short(keyText)} must be written with h or ', not H`);
    throw bad(`invalid derivation step "${text}" ${where} of key ${short(keyText)}`);
  }
  const index = Number(m[1]);
  if (!Number.isSafeInteger(index) || index >= 0x80000000) throw bad(`derivation index ${m[1]} ${where} of key ${short(keyText)} is out of range (must be below 2^31)`);
  return { index, hardened: m[2] !== undefined };
}

/** A key shortened for messages. */
export function short(key: string): string {
  return key.length > 40 ? `${key.slice(0, 20)}…${key.slice(-8)}` : key;
}

const XPUB_PREFIX = /^[xt]pub/;
const XPRV_PREFIX = /^[xt]prv/;
const SLIP132_PREFIX = /^[yzYZuvUV](pub|prv)/;

/**
 * Parse one key expression: `[fingerprint/origin]KEY/path`.
 * @example parseKeyExpression("[deadbeef/48h/0h/0h/2h]xpub…/<0;1>/*", 'sortedmulti', 0)
 */
export function parseKeyExpression(text: string, context: string, multisigGroup: number): KeyExpression {
  let rest = text;
  let fingerprint: string | null = null;
  let originSteps: string[] | null = null;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw bad(`key origin of ${short(text)} has no closing "]"`);
    const origin = rest.slice(1, close).split('/');
    const fp = origin[0] ?? '';
    if (!/^[0-9a-fA-F]{8}$/.test(fp)) throw bad(`key origin fingerprint "${fp}" of ${short(text)} must be exactly 8 hex characters`);
    fingerprint = fp.toLowerCase();
    originSteps = origin.slice(1).map((s) => {
      if (s.includes('*')) throw bad(`key origin of ${short(text)} cannot contain a wildcard "*"`);
      if (s.includes('<')) throw bad(`key origin of ${short(text)} cannot contain a multipath "<…>"`);
      if (s === '') throw bad(`key origin of ${short(text)} has an empty step (trailing or double "/")`);
      const { index, hardened } = parseIndex(s, 'in the origin', text);
      return `${index}${hardened ? "'" : ''}`;
    });
    rest = rest.slice(close + 1);
  }
  if (rest.includes('[') || rest.includes(']')) throw bad(`key ${short(text)} has a misplaced or second key origin "[…]"`);
  if (rest === '') throw bad(`key origin ${short(text)} is not followed by a key`);
  const parts = rest.split('/');
  const body = parts[0] as string;
  const stepTexts = parts.slice(1);
  const childPath = stepTexts.join('/');

  const steps: PathStep[] = stepTexts.map((s, idx) => {
    if (s === '*' || s === '*h' || s === "*'") {
      if (idx !== stepTexts.length - 1) throw bad(`wildcard "*" must be the last step of key ${short(text)}`);
      return { kind: 'wildcard', hardened: s !== '*' };
    }
    if (s.startsWith('<') || s.endsWith('>')) {
      if (!s.startsWith('<') || !s.endsWith('>')) throw bad(`multipath step "${s}" of key ${short(text)} must be written <a;b;…>`);
      const inner = s.slice(1, -1);
      if (inner === '') throw bad(`multipath step "<>" of key ${short(text)} is empty`);
      const options = inner.split(';').map((o) => {
        if (o === '') throw bad(`multipath step "${s}" of key ${short(text)} has an empty index`);
        return parseIndex(o, 'in the multipath step', text);
      });
      if (options.length < 2) throw bad(`multipath step "${s}" of key ${short(text)} needs at least two indexes`);
      const seen = new Set(options.map((o) => o.index * 2 + (o.hardened ? 1 : 0)));
      if (seen.size !== options.length) throw bad(`multipath step "${s}" of key ${short(text)} repeats an index`);
      return { kind: 'multipath', options };
    }
    if (s === '') throw bad(`key ${short(text)} has an empty derivation step (trailing or double "/")`);
    return { kind: 'index', ...parseIndex(s, 'in the path', text) };
  });
  if (steps.filter((s) => s.kind === 'multipath').length > 1) throw bad(`key ${short(text)} has more than one multipath step <…>`);

  let kind: KeyExpression['kind'];
  let xpub: string | null = null;
  let pubkey: string | null = null;
  let network: 'main' | 'test' | null = null;
  if (/^[0-9a-fA-F]+$/.test(body) && (body.length === 64 || body.length === 66 || body.length === 130)) {
    kind = 'hex';
    pubkey = body.toLowerCase();
    if (body.length === 66 && !/^0[23]/.test(body)) throw bad(`public key ${short(body)} must start with 02 or 03`);
    if (body.length === 130 && !body.startsWith('04')) throw bad(`uncompressed public key ${short(body)} must start with 04`);
    const point = body.length === 64 ? `02${body}` : body;
    if (!isCurvePoint(point)) throw bad(`public key ${short(body)} is not a point on the curve`);
  } else if (XPUB_PREFIX.test(body) || XPRV_PREFIX.test(body)) {
    const decoded = decodeExtended(body);
    if (!decoded) throw bad(`unparsable extended key ${short(body)} (bad base58 checksum, length or version)`);
    kind = decoded.isPrivate ? 'xprv' : 'xpub';
    xpub = decoded.xpub;
    network = decoded.network;
  } else if (SLIP132_PREFIX.test(body)) {
    throw bad(`unparsable key ${short(body)}: SLIP-132 keys (ypub, zpub, Ypub, Zpub…) are not descriptor keys; convert it to xpub/tpub`);
  } else {
    const wif = decodeWif(body);
    if (!wif) throw bad(`unparsable key "${short(body)}" (not a hex public key, xpub/tpub, xprv/tprv or WIF)`);
    kind = 'wif';
    pubkey = wif.pubkey;
    network = wif.network;
  }
  if ((kind === 'hex' || kind === 'wif') && steps.length > 0) throw bad(`single key ${short(body)} cannot have derivation steps ("/${childPath}")`);
  if (kind === 'xpub') {
    const hard = stepTexts.find((_s, idx) => {
      const st = steps[idx] as PathStep;
      return st.kind === 'multipath' ? st.options.some((o) => o.hardened) : st.hardened;
    });
    if (hard !== undefined) {
      throw bad(`hardened step "${hard}" after ${short(body)} cannot be derived from a public key (watch-only); move it into the key origin`);
    }
  }
  return { text, fingerprint, originSteps, kind, body, xpub, pubkey, steps, childPath, network, context, multisigGroup };
}

function isCurvePoint(hex: string): boolean {
  return ecc.isPoint(hexToBytes(hex));
}

function decodeExtended(body: string): { xpub: string; isPrivate: boolean; network: 'main' | 'test' } | null {
  for (const [net, params] of [['main', networks.bitcoin], ['test', networks.testnet]] as const) {
    try {
      const node = bip32().fromBase58(body, params);
      return { xpub: node.neutered().toBase58(), isPrivate: !node.isNeutered(), network: net };
    } catch {
      // try the next network
    }
  }
  return null;
}

function decodeWif(body: string): { pubkey: string; network: 'main' | 'test' } | null {
  const factory = ECPairFactory(ecc);
  for (const [net, params] of [['main', networks.bitcoin], ['test', networks.testnet]] as const) {
    try {
      const pair = factory.fromWIF(body, params);
      return { pubkey: bytesToHex(pair.publicKey), network: net };
    } catch {
      // try the next network
    }
  }
  return null;
}

/**
 * The descriptor with every multipath step `<a;b;…>` replaced by its `branch`-th index (BIP389).
 * Returns the text unchanged when it has no multipath step.
 */
export function expandMultipath(body: string, branch: number): string {
  return body.replace(/<([^<>]*)>/g, (_m, inner: string) => {
    const option = inner.split(';')[branch];
    if (option === undefined) throw new RangeError(`expandMultipath: branch ${branch} is out of range for <${inner}>`);
    return option;
  });
}
