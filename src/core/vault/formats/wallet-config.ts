/**
 * The common model every vault interchange format converts to and from: a sorted multisig
 * wallet (`sortedmulti` / `sortedmulti_a`) whose keys are BIP32 extended public keys with
 * their origin (master fingerprint and path), plus its BIP389 multipath descriptor
 * (`…/<0;1>/*`, with a BIP380 checksum).
 *
 * Every importer funnels through `makeWalletConfig`, so the refusals (duplicated key, missing
 * fingerprint, wrong network, impossible threshold) are the same for every format.
 * Checksums, script building and address derivation come from @bitcoinerlab/descriptors.
 */
import { checkDescriptorBounds } from '../../bitcoin/descriptor-bounds.ts';
import { Output, checksum, networks } from '@bitcoinerlab/descriptors';
import { DomainError } from '../../errors.ts';
import type { Network } from '../../network.ts';
import { decodeExtendedPublicKey } from './slip132.ts';
import type { KeyChain } from './slip132.ts';

export const SCRIPT_TYPES = ['p2sh', 'p2sh-p2wsh', 'p2wsh', 'p2tr'] as const;
export type ScriptType = (typeof SCRIPT_TYPES)[number];

export interface WalletKey {
  /** Who holds the key (e.g. "Ministry of Finance"), when the format carries it. */
  readonly name?: string;
  /** Master key fingerprint, 8 lower-case hex digits. */
  readonly fingerprint: string;
  /** Derivation from the master key to `xpub`, as `m/48'/0'/0'/2'`. */
  readonly path: string;
  /** BIP32 encoding (`xpub…` on main, `tpub…` on test networks); SLIP-132 forms are converted. */
  readonly xpub: string;
}

export interface WalletConfig {
  readonly name: string;
  readonly network: Network;
  readonly scriptType: ScriptType;
  readonly threshold: number;
  readonly keys: readonly WalletKey[];
  /** `wsh(sortedmulti(2,[fp/48h/…]xpub/<0;1>/*,…))#checksum` */
  readonly descriptor: string;
  /** Caravan's `startingAddressIndex`, when a format gave a non-zero one. */
  readonly startingAddressIndex?: number;
}

export type WalletConfigInput = Omit<WalletConfig, 'descriptor'>;

/** BIP341's provably unspendable internal key H, used as `tr(H, sortedmulti_a(…))`. */
export const NUMS_INTERNAL_KEY = '50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0';

const MAX_KEYS: Readonly<Record<ScriptType, number>> = { p2sh: 15, 'p2sh-p2wsh': 20, p2wsh: 20, p2tr: 999 };

/**
 * The chain (xpub vs tpub) each network's keys are written for.
 * @example keyChainOf('regtest') === 'test'
 */
export function keyChainOf(network: Network): KeyChain {
  return network === 'main' ? 'main' : 'test';
}

const CHAIN_WORD: Readonly<Record<KeyChain, string>> = { main: 'mainnet (xpub)', test: 'testnet (tpub)' };

/**
 * The @bitcoinerlab/descriptors network object for one of our networks (signet shares testnet's).
 * @example libNetwork('main') === networks.bitcoin
 */
export function libNetwork(network: Network): (typeof networks)['bitcoin'] {
  switch (network) {
    case 'main': return networks.bitcoin;
    case 'test': return networks.testnet;
    case 'signet': return networks.testnet;
    case 'regtest': return networks.regtest;
  }
}

/**
 * A master fingerprint as 8 lower-case hex digits; refuses anything else.
 * @example normalizeFingerprint('F57EC65D') === 'f57ec65d'
 */
export function normalizeFingerprint(text: string | undefined | null, label: string): string {
  const t = (text ?? '').trim();
  if (t === '') throw new DomainError('INVALID_IMPORT', `${label} has no master key fingerprint`);
  if (!/^[0-9a-fA-F]{8}$/.test(t)) throw new DomainError('INVALID_IMPORT', `${label} has a malformed fingerprint "${t}" (need 8 hex digits)`);
  return t.toLowerCase();
}

/**
 * A BIP32 path as `m/48'/0'/0'/2'`; accepts `h`, `H` or `'` for hardened and an optional `m/`.
 * @example normalizePath('48h/0h/0h/2h') === "m/48'/0'/0'/2'"
 */
export function normalizePath(text: string | undefined | null, label: string): string {
  const t = (text ?? '').trim();
  if (t === '') throw new DomainError('INVALID_IMPORT', `${label} has no derivation path`);
  const parts = t.split('/');
  if (parts[0] === 'm' || parts[0] === 'M') parts.shift();
  const out = ['m'];
  for (const p of parts) {
    const m = /^(\d{1,10})(['hH]?)$/.exec(p);
    if (!m || Number(m[1]) >= 0x80000000) throw new DomainError('INVALID_IMPORT', `${label} has a malformed derivation path "${t}"`);
    out.push(`${Number(m[1])}${m[2] ? "'" : ''}`);
  }
  return out.join('/');
}

function keyExpression(k: WalletKey): string {
  const origin = k.path.slice(1).replaceAll("'", 'h');
  return `[${k.fingerprint}${origin}]${k.xpub}/<0;1>/*`;
}

/**
 * The BIP389 multipath descriptor of a wallet, with its BIP380 checksum.
 * @example buildDescriptor({ scriptType: 'p2wsh', threshold: 2, keys }) // 'wsh(sortedmulti(2,…))#…'
 */
export function buildDescriptor(cfg: Pick<WalletConfig, 'scriptType' | 'threshold' | 'keys'>): string {
  const keys = cfg.keys.map(keyExpression).join(',');
  let body: string;
  switch (cfg.scriptType) {
    case 'p2wsh': body = `wsh(sortedmulti(${cfg.threshold},${keys}))`; break;
    case 'p2sh-p2wsh': body = `sh(wsh(sortedmulti(${cfg.threshold},${keys})))`; break;
    case 'p2sh': body = `sh(sortedmulti(${cfg.threshold},${keys}))`; break;
    case 'p2tr': body = `tr(${NUMS_INTERNAL_KEY},sortedmulti_a(${cfg.threshold},${keys}))`; break;
  }
  return `${body}#${checksum(body)}`;
}

/**
 * Validate a wallet and give it its descriptor. Refusals (all `INVALID_IMPORT` unless said):
 * no keys or too many, threshold not in 1..keys, a missing or malformed fingerprint or path,
 * the same key twice (an "m-of-n" with a repeated key is really weaker, bdk_wallet#560),
 * a key of the other chain than `network` (`NETWORK_MISMATCH`, naming both).
 *
 * @example makeWalletConfig({ name: 'reserve', network: 'main', scriptType: 'p2wsh', threshold: 2, keys })
 */
export function makeWalletConfig(input: WalletConfigInput): WalletConfig {
  const { name, network, scriptType, threshold } = input;
  if (!(SCRIPT_TYPES as readonly string[]).includes(scriptType)) {
    throw new DomainError('INVALID_IMPORT', `unknown script type "${String(scriptType)}" (use ${SCRIPT_TYPES.join(', ')})`);
  }
  const n = input.keys.length;
  if (n === 0) throw new DomainError('INVALID_IMPORT', 'the wallet has no keys');
  if (n > MAX_KEYS[scriptType]) throw new DomainError('INVALID_IMPORT', `${n} keys is more than ${scriptType} multisig allows (${MAX_KEYS[scriptType]})`);
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > n) {
    throw new DomainError('INVALID_IMPORT', `threshold ${String(threshold)} is impossible with ${n} keys (need 1 to ${n})`);
  }
  const chain = keyChainOf(network);
  const seen = new Map<string, number>();
  const keys: WalletKey[] = input.keys.map((k, i) => {
    const label = `key ${i + 1}${k.name ? ` ("${k.name}")` : ''}`;
    const fingerprint = normalizeFingerprint(k.fingerprint, label);
    const path = normalizePath(k.path, label);
    const decoded = decodeExtendedPublicKey(k.xpub, label);
    if (decoded.chain !== chain) {
      throw new DomainError('NETWORK_MISMATCH', `${label} is a ${CHAIN_WORD[decoded.chain]} key but the wallet is for ${network} (${CHAIN_WORD[chain]} keys)`, { key: i + 1, keyNetwork: decoded.chain, network });
    }
    const first = seen.get(decoded.material);
    if (first !== undefined) {
      throw new DomainError('INVALID_IMPORT', `${label} is the same public key as key ${first + 1}: a duplicated key makes the multisig weaker than it claims`, { key: i + 1, duplicateOf: first + 1 });
    }
    seen.set(decoded.material, i);
    return k.name !== undefined && k.name !== '' ? { name: k.name, fingerprint, path, xpub: decoded.xpub } : { fingerprint, path, xpub: decoded.xpub };
  });
  const base = { name, network, scriptType, threshold, keys };
  const descriptor = buildDescriptor(base);
  assertDerivable(descriptor, network);
  const start = input.startingAddressIndex;
  if (start !== undefined && (!Number.isSafeInteger(start) || start < 0)) throw new DomainError('INVALID_IMPORT', `starting address index ${String(start)} is not a non-negative integer`);
  return start ? { ...base, descriptor, startingAddressIndex: start } : { ...base, descriptor };
}

function assertDerivable(descriptor: string, network: Network): void {
  checkDescriptorBounds(descriptor); // linear-time refusal before the library parses (issue #19)
  try {
    new Output({ descriptor, index: 0, change: 0, network: libNetwork(network) }).getScriptPubKey();
  } catch (e) {
    throw new DomainError('INVALID_DESCRIPTOR', `the descriptor cannot be derived: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The address at `change`/`index` of a multipath descriptor (or of a non-ranged one, with
 * `index` ignored), derived by @bitcoinerlab/descriptors.
 * @example deriveAddress(cfg.descriptor, 'main', 0, 0) // 'bc1q…'
 */
export function deriveAddress(descriptor: string, network: Network, change: 0 | 1, index: number): string {
  checkDescriptorBounds(descriptor);
  try {
    const ranged = descriptor.includes('*');
    const multipath = descriptor.includes('<');
    return new Output({
      descriptor,
      ...(ranged ? { index } : {}),
      ...(multipath ? { change } : {}),
      network: libNetwork(network),
    }).getAddress();
  } catch (e) {
    throw new DomainError('INVALID_DESCRIPTOR', `cannot derive an address: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Descriptor → model (only the sorted-multisig shapes a vault uses)

export interface ParsedMultisigDescriptor {
  readonly scriptType: ScriptType;
  readonly threshold: number;
  readonly keys: readonly WalletKey[];
  /** What the keys' derivation suffix was: multipath `<0;1>/*` (or BIP129's `/**`), or receive-only `/0/*`. */
  readonly branches: 'multipath' | 'receive-only';
}

function peel(s: string, fn: string): string | null {
  return s.startsWith(`${fn}(`) && s.endsWith(')') ? s.slice(fn.length + 1, -1) : null;
}

/**
 * Split off and check a BIP380 checksum (`#xxxxxxxx`). Missing is allowed; wrong is refused.
 * @example stripChecksum('wsh(…)#jwl02djv') === 'wsh(…)'
 */
export function stripChecksum(descriptor: string): string {
  const t = descriptor.trim();
  const hash = t.lastIndexOf('#');
  if (hash < 0) return t;
  const body = t.slice(0, hash);
  const given = t.slice(hash + 1);
  let expected: string;
  try {
    expected = checksum(body);
  } catch {
    throw new DomainError('INVALID_DESCRIPTOR', 'the descriptor contains characters a descriptor cannot have');
  }
  if (given !== expected) throw new DomainError('INVALID_DESCRIPTOR', `bad descriptor checksum "${given}" (expected "${expected}")`);
  return body;
}

const KEY_RE = /^(?:\[([^\]]*)\])?([1-9A-HJ-NP-Za-km-z]+)((?:\/[^,]*)?)$/;

function parseKey(expr: string, i: number): { key: WalletKey; suffix: 'multipath' | 'receive-only' } {
  const label = `key ${i + 1}`;
  const bare = expr.trim().replace(/^\[[^\]]*\]/, '');
  if (/^0[23][0-9a-fA-F]{64}$/.test(bare) || /^04[0-9a-fA-F]{128}$/.test(bare) || /^[0-9a-fA-F]{64}$/.test(bare)) {
    throw new DomainError('INVALID_IMPORT', `${label} is a single public key, not an extended key: a vault needs ranged xpub keys`);
  }
  const m = KEY_RE.exec(expr.trim());
  if (!m) throw new DomainError('INVALID_IMPORT', `${label} ("${expr.slice(0, 24)}…") is not an extended public key with origin`);
  const [, origin, xpub = '', suffix = ''] = m;
  if (origin === undefined) throw new DomainError('INVALID_IMPORT', `${label} has no key origin [fingerprint/path]: the master fingerprint is missing`);
  const slash = origin.indexOf('/');
  const fingerprint = normalizeFingerprint(slash < 0 ? origin : origin.slice(0, slash), label);
  const path = normalizePath(slash < 0 ? 'm' : `m${origin.slice(slash)}`, label);
  let kind: 'multipath' | 'receive-only';
  if (suffix === '/<0;1>/*' || suffix === '/**') kind = 'multipath';
  else if (suffix === '/0/*') kind = 'receive-only';
  else throw new DomainError('INVALID_IMPORT', `${label} derives "${suffix || '(nothing)'}"; a vault key must end in /<0;1>/* (or /0/*, /**)`);
  return { key: { fingerprint, path, xpub }, suffix: kind };
}

/**
 * Parse a sorted-multisig descriptor: `wsh(sortedmulti(…))`, `sh(wsh(sortedmulti(…)))`,
 * `sh(sortedmulti(…))` or `tr(H,sortedmulti_a(…))` with H = NUMS_INTERNAL_KEY; keys
 * `[fp/path]xpub/<0;1>/*` (also `/**`, or `/0/*` for a receive-only export). Other shapes are
 * refused with `INVALID_IMPORT`; a bad checksum with `INVALID_DESCRIPTOR`.
 *
 * @example parseMultisigDescriptor('wsh(sortedmulti(2,[…]xpub…/<0;1>/*,…))#…').threshold === 2
 */
export function parseMultisigDescriptor(descriptor: string): ParsedMultisigDescriptor {
  const body = stripChecksum(descriptor).replace(/\s+/g, '');
  let scriptType: ScriptType;
  let inner: string | null;
  let multiFn = 'sortedmulti';
  if ((inner = peel(body, 'wsh')) !== null) scriptType = 'p2wsh';
  else if ((inner = peel(body, 'sh')) !== null) {
    const w = peel(inner, 'wsh');
    if (w !== null) { scriptType = 'p2sh-p2wsh'; inner = w; } else scriptType = 'p2sh';
  } else if ((inner = peel(body, 'tr')) !== null) {
    scriptType = 'p2tr';
    multiFn = 'sortedmulti_a';
    const comma = inner.indexOf(',');
    const internal = comma < 0 ? inner : inner.slice(0, comma);
    if (internal.toLowerCase() !== NUMS_INTERNAL_KEY) {
      throw new DomainError('INVALID_IMPORT', 'a taproot vault must use the unspendable internal key H of BIP341 (a key-path spend would bypass the multisig)');
    }
    inner = comma < 0 ? '' : inner.slice(comma + 1);
  } else {
    throw new DomainError('INVALID_IMPORT', 'unknown script type: a vault descriptor is wsh(…), sh(wsh(…)), sh(…) or tr(…)');
  }
  const args = peel(inner, multiFn);
  if (args === null) {
    const unsorted = peel(inner, multiFn.replace('sorted', ''));
    throw new DomainError('INVALID_IMPORT', unsorted !== null
      ? `only ${multiFn}(…) vaults are supported (key order must not matter)`
      : `the descriptor is not a ${multiFn}(…) multisig`);
  }
  const parts = args.split(',');
  const thresholdText = parts.shift() ?? '';
  if (!/^\d+$/.test(thresholdText)) throw new DomainError('INVALID_IMPORT', `threshold "${thresholdText}" is not a number`);
  const parsed = parts.map(parseKey);
  const kinds = new Set(parsed.map((p) => p.suffix));
  if (kinds.size > 1) throw new DomainError('INVALID_IMPORT', 'keys mix multipath and receive-only derivations');
  return { scriptType, threshold: Number(thresholdText), keys: parsed.map((p) => p.key), branches: parsed[0]?.suffix ?? 'multipath' };
}

export interface ImportOptions {
  /** The network of the vault being created; a file declaring another is refused. */
  readonly network?: Network;
  /** Name to use when the format has none (or to override it). */
  readonly name?: string;
}

/**
 * Decide a wallet's network from what the file declares, what the caller asked for and the
 * keys' chain. A declared network that differs from the requested one is `NETWORK_MISMATCH`.
 * @example resolveNetwork('test', undefined, keys, 'Caravan configuration') === 'test'
 */
export function resolveNetwork(declared: Network | undefined, requested: Network | undefined, keys: readonly { xpub: string }[], source: string): Network {
  if (declared && requested && declared !== requested) {
    throw new DomainError('NETWORK_MISMATCH', `the ${source} is for ${declared} but the vault network is ${requested}`, { declared, requested });
  }
  const chosen = declared ?? requested;
  if (chosen) return chosen;
  const first = keys[0];
  if (!first) return 'main';
  return decodeExtendedPublicKey(first.xpub, 'key 1').chain === 'main' ? 'main' : 'test';
}

/**
 * A wallet from a sorted-multisig descriptor (see `parseMultisigDescriptor`).
 * @example walletConfigFromDescriptor('wsh(sortedmulti(…))#…', { name: 'reserve', network: 'main' })
 */
export function walletConfigFromDescriptor(descriptor: string, opts: ImportOptions = {}): WalletConfig {
  const p = parseMultisigDescriptor(descriptor);
  const network = resolveNetwork(undefined, opts.network, p.keys, 'descriptor');
  return makeWalletConfig({ name: opts.name ?? 'imported', network, scriptType: p.scriptType, threshold: p.threshold, keys: p.keys });
}
