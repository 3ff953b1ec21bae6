/**
 * Caravan wallet-configuration JSON (caravan-bitcoin/caravan, "Import Wallet Configuration"):
 *
 *   { name, addressType: 'P2WSH'|'P2SH-P2WSH'|'P2SH', network: 'mainnet'|'testnet'|'regtest'|'signet',
 *     client: { type: 'public' }, quorum: { requiredSigners, totalSigners },
 *     extendedPublicKeys: [{ name, bip32Path, xpub, xfp }], startingAddressIndex }
 *
 * Caravan builds BIP67-sorted multisig, i.e. `sortedmulti`. Fields we do not model (client
 * connection details, uuid, Ledger policy HMACs, key `method`) are dropped on import.
 */
import { DomainError } from '../../errors.ts';
import type { Network } from '../../network.ts';
import { makeWalletConfig, resolveNetwork } from './wallet-config.ts';
import type { ImportOptions, ScriptType, WalletConfig, WalletKey } from './wallet-config.ts';

const ADDRESS_TYPES: Readonly<Record<string, ScriptType>> = { P2WSH: 'p2wsh', 'P2SH-P2WSH': 'p2sh-p2wsh', P2SH: 'p2sh' };
const ADDRESS_TYPE_OF: Readonly<Record<Exclude<ScriptType, 'p2tr'>, string>> = { p2wsh: 'P2WSH', 'p2sh-p2wsh': 'P2SH-P2WSH', p2sh: 'P2SH' };
const NETWORKS: Readonly<Record<string, Network>> = { mainnet: 'main', testnet: 'test', regtest: 'regtest', signet: 'signet' };
const NETWORK_OF: Readonly<Record<Network, string>> = { main: 'mainnet', test: 'testnet', regtest: 'regtest', signet: 'signet' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Parse a Caravan wallet configuration into the common model (refusals as `makeWalletConfig`,
 * plus: malformed JSON, unknown address type or network, quorum not matching the keys).
 *
 * @example parseCaravan(fs.readFileSync('wallet.json', 'utf8'), { network: 'main' })
 */
export function parseCaravan(text: string, opts: ImportOptions = {}): WalletConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DomainError('INVALID_IMPORT', `Caravan configuration is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isRecord(doc)) throw new DomainError('INVALID_IMPORT', 'Caravan configuration is not a JSON object');
  const addressType = str(doc['addressType']);
  const scriptType = addressType !== undefined ? ADDRESS_TYPES[addressType.toUpperCase()] : undefined;
  if (!scriptType) throw new DomainError('INVALID_IMPORT', `unknown script type "${String(doc['addressType'])}" (Caravan uses P2WSH, P2SH-P2WSH or P2SH)`);
  const netName = str(doc['network']);
  const declared = netName !== undefined ? NETWORKS[netName.toLowerCase()] : undefined;
  if (!declared) throw new DomainError('INVALID_IMPORT', `unknown Caravan network "${String(doc['network'])}"`);
  const quorum = doc['quorum'];
  if (!isRecord(quorum)) throw new DomainError('INVALID_IMPORT', 'Caravan configuration has no quorum');
  const required = quorum['requiredSigners'];
  const total = quorum['totalSigners'];
  const list = doc['extendedPublicKeys'];
  if (!Array.isArray(list)) throw new DomainError('INVALID_IMPORT', 'Caravan configuration has no extendedPublicKeys list');
  if (typeof required !== 'number') throw new DomainError('INVALID_IMPORT', 'quorum.requiredSigners is not a number');
  if (total !== list.length) throw new DomainError('INVALID_IMPORT', `quorum.totalSigners is ${String(total)} but ${list.length} keys are listed`);
  const keys: WalletKey[] = list.map((k: unknown, i) => {
    if (!isRecord(k)) throw new DomainError('INVALID_IMPORT', `extendedPublicKeys[${i}] is not an object`);
    const name = str(k['name']);
    const path = str(k['bip32Path']);
    if (path === undefined || /^unknown$/i.test(path)) throw new DomainError('INVALID_IMPORT', `key ${i + 1} has no derivation path (bip32Path)`);
    const xpub = str(k['xpub']);
    if (!xpub) throw new DomainError('INVALID_IMPORT', `key ${i + 1} has no xpub`);
    return { ...(name ? { name } : {}), fingerprint: str(k['xfp']) ?? '', path, xpub };
  });
  const start = doc['startingAddressIndex'];
  if (start !== undefined && (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0)) {
    throw new DomainError('INVALID_IMPORT', 'startingAddressIndex is not a non-negative integer');
  }
  const network = resolveNetwork(declared, opts.network, keys, 'Caravan configuration');
  return makeWalletConfig({
    name: opts.name ?? str(doc['name']) ?? 'caravan',
    network,
    scriptType,
    threshold: required,
    keys,
    ...(start ? { startingAddressIndex: start } : {}),
  });
}

/**
 * The Caravan wallet configuration of a wallet (2-space JSON). A taproot wallet has no Caravan
 * form (`INVALID_ARGUMENT`).
 *
 * @example toCaravan(cfg) // '{\n  "name": "reserve",\n  "addressType": "P2WSH", …'
 */
export function toCaravan(cfg: WalletConfig): string {
  if (cfg.scriptType === 'p2tr') throw new DomainError('INVALID_ARGUMENT', 'Caravan cannot describe a taproot (p2tr) vault');
  const doc = {
    name: cfg.name,
    addressType: ADDRESS_TYPE_OF[cfg.scriptType],
    network: NETWORK_OF[cfg.network],
    client: { type: 'public' },
    quorum: { requiredSigners: cfg.threshold, totalSigners: cfg.keys.length },
    extendedPublicKeys: cfg.keys.map((k, i) => ({ name: k.name ?? `key ${i + 1}`, bip32Path: k.path, xpub: k.xpub, xfp: k.fingerprint })),
    startingAddressIndex: cfg.startingAddressIndex ?? 0,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
