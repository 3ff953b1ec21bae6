/**
 * Output script descriptors (BIP380–389): parse, check, normalise and derive.
 *
 * @bitcoinerlab/descriptors (with @bitcoinerlab/miniscript) owns the script semantics and
 * checksums; this module adds what a reserve needs on top: a refusal with a plain message for
 * every descriptor that is malformed or weaker than it looks, key metadata for display, BIP389
 * multipath branches, the network the keys belong to, and a fast deriver for the vault shapes.
 */
import { Output, checksum as libChecksum } from '@bitcoinerlab/descriptors';
import { networks } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DomainError } from '../errors.ts';
import type { Network } from '../network.ts';
import { addressToScript, scriptToAddress } from './address.ts';
import { bip32 } from './ecc.ts';
import { checkDescriptorBounds } from './descriptor-bounds.ts';
import { bitcoinjsNetwork, keyFamily, networkLabel } from './networks.ts';
import {
  INPUT_CHARSET,
  MULTISIG_FUNCTIONS,
  baseName,
  collectKeys,
  expandMultipath,
  parseSyntax,
  short,
  type KeyExpression,
  type SyntaxNode,
} from './descriptor-syntax.ts';
import { FAST_SHAPES, MIN_BATCH, createFastDeriver, fastKeyEligible, type FastDerived, type FastShape } from './derive.ts';

export interface DescriptorKey {
  fingerprint: string | null;
  /** Origin path, e.g. "m/48'/0'/0'/2'"; null without a key origin. */
  originPath: string | null;
  /** The extended public key (the neutered form of an xprv); null for a single key. */
  xpub: string | null;
  /** Hex public key of a single key; null for extended keys. */
  pubkey: string | null;
  /** Steps after the key, e.g. "<0;1>/*", "0/*" or "". */
  childPath: string;
}

export interface ParsedDescriptor {
  /** The descriptor as given (trimmed), with its '#checksum'. */
  descriptor: string;
  checksum: string;
  /** e.g. 'wsh-sortedmulti', 'sh-multi', 'sh-wsh-sortedmulti', 'wpkh', 'tr', 'tr-multi_a', 'wsh-miniscript', 'addr'. */
  type: string;
  threshold: number | null;
  keys: DescriptorKey[];
  ranged: boolean;
  multipath: boolean;
  /** What the keys say (tpub → 'test', which also covers signet and regtest); null for addr() and plain keys. */
  network: 'main' | 'test' | null;
}

export interface DerivedAddress {
  index: number;
  address: string;
  /** Hex. */
  scriptPubKey: string;
}

interface Internal {
  readonly body: string;
  readonly root: SyntaxNode;
  readonly keys: readonly KeyExpression[];
  /** Number of multipath branches (1 without multipath). */
  readonly branches: number;
}

const internals = new WeakMap<ParsedDescriptor, Internal>();
const bad = (message: string): DomainError => new DomainError('INVALID_DESCRIPTOR', message);

/** Consecutive derive() calls on one branch after which the deriver reads ahead a batch. */
const READ_AHEAD_AFTER = 8;

/** The most addresses one derive call may produce. */
export const MAX_DERIVE_COUNT = 10_000;

/**
 * The BIP380 checksum of a descriptor body (the part before '#'), by @bitcoinerlab/descriptors.
 * @example descriptorChecksum('raw(deadbeef)') === '89f8spxm'
 */
export function descriptorChecksum(body: string): string {
  checkDescriptorBounds(body);
  for (const ch of body) {
    if (!INPUT_CHARSET.includes(ch)) throw bad(`the descriptor contains a character descriptors cannot hold: "${ch}"`);
  }
  return libChecksum(body);
}

/**
 * Parse and check a descriptor. Refuses (DomainError INVALID_DESCRIPTOR, message naming the
 * problem): a wrong checksum, a missing one unless `requireChecksum: false`, the same key twice in
 * one multisig, a threshold of 0 or above the key count, keys of different networks, a hardened
 * step after an xpub, an unparsable key, and whatever @bitcoinerlab/descriptors refuses.
 * @example parseDescriptor('wsh(sortedmulti(2,[…]xpub…/<0;1>/*,…))#abcd1234').type === 'wsh-sortedmulti'
 */
export function parseDescriptor(text: string, opts: { requireChecksum?: boolean } = {}): ParsedDescriptor {
  if (typeof text !== 'string') throw new TypeError('parseDescriptor: "text" expected string');
  const requireChecksum = opts.requireChecksum ?? true;
  const trimmed = text.trim();
  checkDescriptorBounds(trimmed); // before any parsing: the parsers are not linear
  if (trimmed === '') throw bad('the descriptor is empty');
  const hashes = trimmed.split('#');
  if (hashes.length > 2) throw bad('the descriptor has more than one "#"');
  const body = hashes[0] as string;
  const given = hashes[1];
  const computed = descriptorChecksum(body);
  if (given === undefined) {
    if (requireChecksum) throw bad('the descriptor has no checksum ("#…" at the end); add it, or pass --no-checksum to accept it without one');
  } else if (given.length !== 8) {
    throw bad(`the descriptor checksum "#${given}" must be 8 characters long`);
  } else if (given !== computed) {
    throw bad(`the descriptor checksum "#${given}" does not match the descriptor (a typo in the descriptor or in the checksum)`);
  }

  const root = parseSyntax(body);
  const keys = collectKeys(root);
  const branches = checkMultipath(keys);
  const family = checkKeyNetworks(keys);
  checkThresholds(root);
  checkDuplicates(keys);
  const ranged = keys.some((k) => k.steps.some((s) => s.kind === 'wildcard'));
  validateWithLibrary(root, expandMultipath(body, 0), ranged, family);
  const { type, threshold } = describe(root);

  const parsed: ParsedDescriptor = {
    descriptor: `${body}#${computed}`,
    checksum: computed,
    type,
    threshold,
    keys: keys.map((k) => ({
      fingerprint: k.fingerprint,
      originPath: k.originSteps ? ['m', ...k.originSteps].join('/') : null,
      xpub: k.xpub,
      pubkey: k.pubkey,
      childPath: k.childPath,
    })),
    ranged,
    multipath: branches > 1,
    network: family,
  };
  internals.set(parsed, { body, root, keys, branches });
  return parsed;
}

function internal(d: ParsedDescriptor): Internal {
  const known = internals.get(d);
  if (known) return known;
  const again = parseDescriptor(d.descriptor, { requireChecksum: false });
  return internals.get(again) as Internal;
}

function checkMultipath(keys: readonly KeyExpression[]): number {
  let len = 1;
  let first: KeyExpression | null = null;
  for (const k of keys) {
    const mp = k.steps.find((s) => s.kind === 'multipath');
    if (!mp || mp.kind !== 'multipath') continue;
    if (first && mp.options.length !== len) {
      throw bad(`multipath steps of different lengths: ${short(first.text)} has ${len} branches, ${short(k.text)} has ${mp.options.length}`);
    }
    first ??= k;
    len = mp.options.length;
  }
  return len;
}

function checkKeyNetworks(keys: readonly KeyExpression[]): 'main' | 'test' | null {
  let seen: KeyExpression | null = null;
  for (const k of keys) {
    if (!k.network) continue;
    if (seen && seen.network !== k.network) {
      throw bad(`keys of different networks in one descriptor: ${short(seen.body)} is ${seen.network === 'main' ? 'mainnet' : 'testnet'}, ${short(k.body)} is ${k.network === 'main' ? 'mainnet' : 'testnet'}`);
    }
    seen ??= k;
  }
  return seen?.network ?? null;
}

function checkThresholds(root: SyntaxNode): void {
  const walk = (n: SyntaxNode): void => {
    if (n.kind === 'tree') n.children.forEach(walk);
    if (n.kind !== 'fn') return;
    const name = baseName(n.name);
    if (MULTISIG_FUNCTIONS.has(name)) {
      const k = n.args[0];
      const count = n.args.length - 1;
      if (!k || k.kind !== 'leaf' || !/^\d+$/.test(k.text)) throw bad(`${name}() must start with a threshold number`);
      const threshold = Number(k.text);
      if (threshold < 1 || threshold > count) throw bad(`${name}() threshold ${threshold} is outside 1..${count} (the number of keys)`);
    }
    n.args.forEach(walk);
  };
  walk(root);
}

/**
 * The same key twice in one multisig makes a "2-of-3" weaker than it looks: one holder signs
 * twice. bdk_wallet#560 is the same bug in BDK. We compare the extended keys themselves (public
 * key + chain code, so re-encodings count) and the public keys they derive at index 0, which also
 * catches an xpub paired with one of its own children and a plain key repeated in another form.
 */
function checkDuplicates(keys: readonly KeyExpression[]): void {
  const groups = new Map<number, KeyExpression[]>();
  for (const k of keys) {
    if (k.multisigGroup < 0) continue;
    const g = groups.get(k.multisigGroup) ?? [];
    g.push(k);
    groups.set(k.multisigGroup, g);
  }
  for (const g of groups.values()) {
    const byXpub = new Map<string, KeyExpression>();
    for (const k of g) {
      if (!k.xpub) continue;
      const node = bip32().fromBase58(k.xpub, k.network === 'main' ? networks.bitcoin : networks.testnet);
      const id = bytesToHex(node.publicKey) + bytesToHex(node.chainCode);
      const prev = byXpub.get(id);
      if (prev) throw duplicate(prev, k);
      byXpub.set(id, k);
    }
    const byPubkey = new Map<string, KeyExpression>();
    for (const k of g) {
      const x = firstPubkeyX(k);
      const prev = byPubkey.get(x);
      if (prev) throw duplicate(prev, k);
      byPubkey.set(x, k);
    }
  }
}

function duplicate(a: KeyExpression, b: KeyExpression): DomainError {
  const where = a.context ? ` in ${a.context}()` : '';
  return bad(`the same key appears twice${where}: ${short(a.text)} and ${short(b.text)}; a multisig with a repeated key is weaker than it looks`);
}

/** The x coordinate (hex) of the key at branch 0, index 0 — equal x means the same signer. */
function firstPubkeyX(k: KeyExpression): string {
  if (k.pubkey) return k.pubkey.length === 64 ? k.pubkey : k.pubkey.slice(2, 66);
  let node = bip32().fromBase58(k.xpub as string, k.network === 'main' ? networks.bitcoin : networks.testnet);
  for (const s of k.steps) {
    if (s.kind === 'index') {
      if (s.hardened) return `unknown:${k.text}`; // private derivation: compare textually only
      node = node.derive(s.index);
    } else if (s.kind === 'multipath') {
      const o = s.options[0] as { index: number; hardened: boolean };
      if (o.hardened) return `unknown:${k.text}`;
      node = node.derive(o.index);
    } else {
      if (s.hardened) return `unknown:${k.text}`;
      node = node.derive(0);
    }
  }
  return bytesToHex(node.publicKey).slice(2);
}

/** Let @bitcoinerlab/descriptors check everything else (fragment nesting, miniscript, taproot). */
function validateWithLibrary(root: SyntaxNode, branch0: string, ranged: boolean, family: 'main' | 'test' | null): void {
  const candidates =
    root.kind === 'fn' && root.name === 'addr'
      ? [networks.bitcoin, networks.testnet, networks.regtest]
      : [family === 'test' ? networks.testnet : networks.bitcoin];
  let lastError: unknown = null;
  for (const network of candidates) {
    try {
      new Output({ descriptor: branch0, checksumRequired: false, ...(ranged ? { index: 0 } : {}), network });
      return;
    } catch (e) {
      lastError = e;
    }
  }
  if (root.kind === 'fn' && root.name === 'addr') throw new DomainError('INVALID_ADDRESS', `addr() holds no valid bitcoin address: "${leafText(root.args[0])}"`);
  const message = lastError instanceof Error ? lastError.message.replace(/^(Error:\s*)+/, '') : String(lastError);
  throw bad(`the descriptor is not valid or not supported: ${message.split('\n')[0] ?? message}`);
}

function leafText(n: SyntaxNode | undefined): string {
  return n && n.kind === 'leaf' ? n.text : '';
}

function describe(root: SyntaxNode): { type: string; threshold: number | null } {
  if (root.kind !== 'fn') throw bad('a descriptor must start with a script function such as wsh(…)');
  const inner = (n: SyntaxNode | undefined): { type: string; threshold: number | null } => {
    if (n?.kind === 'fn' && (n.name === 'multi' || n.name === 'sortedmulti')) return { type: n.name, threshold: Number(leafText(n.args[0])) };
    if (n?.kind === 'fn' && ['pk', 'pkh', 'wpkh'].includes(n.name)) return { type: n.name, threshold: null };
    return { type: 'miniscript', threshold: null };
  };
  const arg = root.args[0];
  switch (root.name) {
    case 'sh': {
      if (arg?.kind === 'fn' && arg.name === 'wsh') {
        const r = inner(arg.args[0]);
        return { type: `sh-wsh-${r.type}`, threshold: r.threshold };
      }
      const r = inner(arg);
      return { type: `sh-${r.type}`, threshold: r.threshold };
    }
    case 'wsh': {
      const r = inner(arg);
      return { type: `wsh-${r.type}`, threshold: r.threshold };
    }
    case 'tr': {
      const tree = root.args[1];
      if (!tree) return { type: 'tr', threshold: null };
      if (tree.kind === 'fn' && (tree.name === 'multi_a' || tree.name === 'sortedmulti_a')) {
        return { type: `tr-${tree.name}`, threshold: Number(leafText(tree.args[0])) };
      }
      return { type: 'tr-tree', threshold: null };
    }
    case 'multi':
    case 'sortedmulti':
      return { type: root.name, threshold: Number(leafText(root.args[0])) };
    default:
      return { type: root.name, threshold: null };
  }
}

/**
 * Refuse deriving a descriptor on a network its keys (or its address) do not belong to.
 * Throws DomainError NETWORK_MISMATCH naming both networks.
 * @example checkDescriptorNetwork(parseDescriptor('wpkh(tpub…/0/*)#…'), 'main') // throws
 */
export function checkDescriptorNetwork(d: ParsedDescriptor, network: Network): void {
  const { root } = internal(d);
  if (root.kind === 'fn' && root.name === 'addr') {
    addressToScript(leafText(root.args[0]), network);
    return;
  }
  if (d.network && d.network !== keyFamily(network)) {
    const keyKind = d.network === 'main' ? 'mainnet keys (xpub)' : 'testnet keys (tpub), which serve testnet, signet and regtest';
    throw new DomainError('NETWORK_MISMATCH', `the descriptor has ${keyKind} but the network is ${networkLabel(network)}`);
  }
}

/** One branch: 0 for receive, 1 for change (the second multipath index). */
function branchOf(d: ParsedDescriptor, change: boolean): number {
  if (!change) return 0;
  if (!d.multipath) throw new DomainError('INVALID_ARGUMENT', 'the descriptor has no change branch: change addresses need a multipath step such as <0;1>');
  return 1;
}

/** What createDeriver returns. */
export interface Deriver {
  derive(change: boolean, index: number): DerivedAddress;
  witnessScript?(change: boolean, index: number): Uint8Array | undefined;
  /** The scriptPubKey alone; works for scripts without an address form too (pk(), raw(), bare multi). */
  scriptPubKey(change: boolean, index: number): Uint8Array;
  /** Addresses start..start+count-1 of one branch; batched on the fast path (much faster per address). */
  deriveRange(change: boolean, start: number, count: number): DerivedAddress[];
}

/**
 * A reusable deriver: fast for wsh/sh/sh-wsh (sorted)multi and wpkh/sh-wpkh/pkh over xpubs,
 * @bitcoinerlab/descriptors for everything else. `derive(change, index)` gives the address and
 * scriptPubKey; `witnessScript` gives the witness script of wsh shapes.
 * @example createDeriver(parseDescriptor(vault), 'main').derive(false, 0).address
 */
export function createDeriver(
  d: ParsedDescriptor,
  network: Network,
): Deriver {
  checkDescriptorNetwork(d, network);
  const { body, keys } = internal(d);
  const indexFor = (index: number): number => {
    if (!Number.isInteger(index) || index < 0 || index >= 0x80000000) throw new RangeError(`derive: index ${index} must be an integer in 0..2^31-1`);
    return d.ranged ? index : 0;
  };
  if ((FAST_SHAPES as readonly string[]).includes(d.type) && keys.length <= 16 && keys.every(fastKeyEligible)) {
    const fast = createFastDeriver(d.type as FastShape, d.threshold ?? 0, keys, network);
    // Gap-limit discovery calls derive(change, i), derive(change, i + 1), …: after a few
    // consecutive calls on a branch, read ahead a batch (see MIN_BATCH) and serve from it.
    const streak = new Map<number, { next: number; run: number; start: number; items: FastDerived[] }>();
    const get = (branch: number, index: number): FastDerived => {
      const s = streak.get(branch) ?? { next: -1, run: 0, start: 0, items: [] };
      streak.set(branch, s);
      if (index !== s.next - 1) {
        s.run = index === s.next ? s.run + 1 : 0; // asking the same index again keeps the streak
        s.next = index + 1;
      }
      const cached = s.items[index - s.start];
      if (index >= s.start && cached) return cached;
      if (s.run >= READ_AHEAD_AFTER && d.ranged) {
        s.start = index;
        s.items = fast.range(branch, index, Math.min(MIN_BATCH, 0x80000000 - index));
        return s.items[0] as FastDerived;
      }
      return fast.one(branch, index);
    };
    return {
      derive(change, index) {
        const r = get(branchOf(d, change), indexFor(index));
        return { index, address: r.address, scriptPubKey: bytesToHex(r.scriptPubKey) };
      },
      witnessScript(change, index) {
        return get(branchOf(d, change), indexFor(index)).witnessScript;
      },
      scriptPubKey(change, index) {
        return get(branchOf(d, change), indexFor(index)).scriptPubKey;
      },
      deriveRange(change, start, count) {
        if (!d.ranged) return Array.from({ length: count }, (_v, i) => this.derive(change, start + i));
        indexFor(start);
        return fast.range(branchOf(d, change), start, count).map((r, i) => ({ index: start + i, address: r.address, scriptPubKey: bytesToHex(r.scriptPubKey) }));
      },
    };
  }
  const net = bitcoinjsNetwork(network);
  const branchTexts = new Map<number, string>();
  const output = (change: boolean, index: number) => {
    const b = branchOf(d, change);
    let text = branchTexts.get(b);
    if (text === undefined) {
      text = expandMultipath(body, b);
      branchTexts.set(b, text);
    }
    return new Output({ descriptor: text, checksumRequired: false, ...(d.ranged ? { index: indexFor(index) } : {}), network: net });
  };
  return {
    deriveRange(change, start, count) {
      return Array.from({ length: count }, (_v, i) => this.derive(change, start + i));
    },
    derive(change, index) {
      indexFor(index);
      const spk = output(change, index).getScriptPubKey();
      const address = scriptToAddress(spk, network);
      if (address === null) throw bad(`${d.type}() outputs have no address form; use a descriptor wrapped in wsh(), sh(), wpkh() or tr()`);
      return { index, address, scriptPubKey: bytesToHex(spk) };
    },
    witnessScript(change, index) {
      indexFor(index);
      return output(change, index).getWitnessScript();
    },
    scriptPubKey(change, index) {
      indexFor(index);
      return output(change, index).getScriptPubKey();
    },
  };
}

/**
 * Derive `count` addresses from `start` on one branch. A descriptor without a wildcard has one
 * address; it is returned once, at index 0.
 * @example deriveAddresses(vault, { network: 'main', start: 0, count: 20 })
 */
export function deriveAddresses(
  d: ParsedDescriptor | string,
  opts: { network: Network; change?: boolean; start: number; count: number },
): DerivedAddress[] {
  const parsed = typeof d === 'string' ? parseDescriptor(d) : d;
  const { start, count } = opts;
  if (!Number.isInteger(start) || start < 0 || start >= 0x80000000) throw new DomainError('INVALID_ARGUMENT', `start index ${start} must be a whole number from 0 to 2147483647`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_DERIVE_COUNT) throw new DomainError('INVALID_ARGUMENT', `count ${count} must be a whole number from 1 to ${MAX_DERIVE_COUNT}`);
  if (start + count > 0x80000000) throw new DomainError('INVALID_ARGUMENT', `start ${start} + count ${count} runs past the last unhardened index 2147483647`);
  const deriver = createDeriver(parsed, opts.network);
  const change = opts.change ?? false;
  if (!parsed.ranged) return [deriver.derive(change, 0)];
  return deriver.deriveRange(change, start, count);
}
