/**
 * Coldcard multisig setup file ("Settings > Multisig Wallets > Import from SD"):
 *
 *   # Coldcard Multisig setup file
 *   Name: reserve
 *   Policy: 2 of 3
 *   Derivation: m/48'/0'/0'/2'
 *   Format: P2WSH
 *
 *   # derivation: m/48'/0'/1'/2'      (optional, overrides Derivation for the next key)
 *   F57EC65D: xpub6…                  (also SLIP-132 Ypub/Zpub/Upub/Vpub, converted)
 *
 * `Format` is P2WSH, P2SH-P2WSH (also written P2WSH-P2SH) or P2SH; a file without a Format
 * line is P2SH, as Coldcard's own P2SH export. The file declares no network: it comes from the
 * keys (xpub: main; tpub: the requested test network).
 */
import { DomainError } from '../../errors.ts';
import { makeWalletConfig, resolveNetwork } from './wallet-config.ts';
import type { ImportOptions, ScriptType, WalletConfig, WalletKey } from './wallet-config.ts';

const FORMATS: Readonly<Record<string, ScriptType>> = { P2WSH: 'p2wsh', 'P2SH-P2WSH': 'p2sh-p2wsh', 'P2WSH-P2SH': 'p2sh-p2wsh', P2SH: 'p2sh' };
const FORMAT_OF: Readonly<Record<Exclude<ScriptType, 'p2tr'>, string>> = { p2wsh: 'P2WSH', 'p2sh-p2wsh': 'P2SH-P2WSH', p2sh: 'P2SH' };
const EXTENDED_KEY = /^[xtyzuvYZUV]pub[1-9A-HJ-NP-Za-km-z]{100,}$/;

function bad(line: number, what: string): DomainError {
  return new DomainError('INVALID_IMPORT', `Coldcard file line ${line}: ${what}`, { line });
}

/**
 * Parse a Coldcard multisig setup file (refusals as `makeWalletConfig`, plus malformed lines,
 * named by line number, a key line without its fingerprint, and a Policy N that does not match
 * the number of keys).
 *
 * @example parseColdcard(text, { network: 'test' })
 */
export function parseColdcard(text: string, opts: ImportOptions = {}): WalletConfig {
  let name: string | undefined;
  let policy: { m: number; n: number; line: number } | undefined;
  let scriptType: ScriptType = 'p2sh';
  let derivation: string | undefined;
  let pendingDerivation: string | undefined;
  const keys: (WalletKey & { line: number })[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const ln = i + 1;
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const d = /^#\s*derivation\s*:\s*(\S+)\s*$/i.exec(line);
      if (d) pendingDerivation = d[1];
      return;
    }
    if (EXTENDED_KEY.test(line)) throw bad(ln, 'key without a master fingerprint (expected "FINGERPRINT: xpub…")');
    const colon = line.indexOf(':');
    if (colon < 0) throw bad(ln, `not a "Key: value" line: "${line.slice(0, 40)}"`);
    const left = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (EXTENDED_KEY.test(value)) {
      if (!/^[0-9a-fA-F]{8}$/.test(left)) throw bad(ln, `"${left}" is not a master key fingerprint (8 hex digits)`);
      const path = pendingDerivation ?? derivation;
      if (path === undefined) throw bad(ln, 'no derivation path for this key (no Derivation: line before it)');
      keys.push({ fingerprint: left, path, xpub: value, line: ln });
      pendingDerivation = undefined;
      return;
    }
    switch (left.toLowerCase()) {
      case 'name':
        name = value;
        return;
      case 'policy': {
        const p = /^(\d+)\s*(?:of|\/)\s*(\d+)$/i.exec(value);
        if (!p) throw bad(ln, `Policy "${value}" is not "M of N"`);
        policy = { m: Number(p[1]), n: Number(p[2]), line: ln };
        return;
      }
      case 'format': {
        const f = FORMATS[value.toUpperCase()];
        if (!f) throw bad(ln, `unknown script type "${value}" (use P2WSH, P2SH-P2WSH or P2SH)`);
        scriptType = f;
        return;
      }
      case 'derivation':
        derivation = value;
        return;
      default:
        if (/^[0-9a-fA-F]{8}$/.test(left)) throw bad(ln, 'the value after the fingerprint is not an extended public key');
        throw bad(ln, `unknown setting "${left}"`);
    }
  });
  if (!policy) throw new DomainError('INVALID_IMPORT', 'Coldcard file has no "Policy: M of N" line');
  if (policy.n !== keys.length) throw bad(policy.line, `Policy says ${policy.n} keys but the file lists ${keys.length}`);
  const network = resolveNetwork(undefined, opts.network, keys, 'Coldcard file');
  return makeWalletConfig({
    name: opts.name ?? name ?? 'coldcard',
    network,
    scriptType,
    threshold: policy.m,
    keys: keys.map(({ line: _line, ...k }) => k),
  });
}

/**
 * The Coldcard multisig setup file of a wallet. One `Derivation:` line when every key shares
 * it, otherwise a `# derivation:` line before each key. Taproot has no form here.
 *
 * @example toColdcard(cfg) // '# Coldcard Multisig setup file (exported by Soberana)\nName: …'
 */
export function toColdcard(cfg: WalletConfig): string {
  if (cfg.scriptType === 'p2tr') throw new DomainError('INVALID_ARGUMENT', 'the Coldcard multisig file cannot describe a taproot (p2tr) vault');
  const paths = new Set(cfg.keys.map((k) => k.path));
  const shared = paths.size === 1 ? cfg.keys[0]?.path : undefined;
  const out = [
    '# Coldcard Multisig setup file (exported by Soberana)',
    '#',
    `Name: ${cfg.name}`,
    `Policy: ${cfg.threshold} of ${cfg.keys.length}`,
    ...(shared ? [`Derivation: ${shared}`] : []),
    `Format: ${FORMAT_OF[cfg.scriptType]}`,
    '',
  ];
  for (const k of cfg.keys) {
    if (!shared) out.push(`# derivation: ${k.path}`);
    out.push(`${k.fingerprint.toUpperCase()}: ${k.xpub}`);
    if (!shared) out.push('');
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
