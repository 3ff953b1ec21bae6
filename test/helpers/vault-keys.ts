/**
 * Deterministic test keys for vaults on regtest. The private keys exist only inside the tests
 * (Soberana itself never holds one); the vault sees only the tpubs.
 */
import { BIP32Factory, type BIP32Interface } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { ECPairFactory } from 'ecpair';
import { Psbt, networks } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { parseDescriptor } from '../../src/core/bitcoin/descriptor.ts';

const bip32 = BIP32Factory(ecc);
const ECPair = ECPairFactory(ecc);

export interface TestCosigner {
  readonly root: BIP32Interface;
  readonly fingerprint: string;
  readonly account: BIP32Interface;
  readonly keyExpr: string;
}

export function cosigner(seedByte: number, path = "m/48'/1'/0'/2'"): TestCosigner {
  const root = bip32.fromSeed(new Uint8Array(32).fill(seedByte), networks.testnet);
  const account = root.derivePath(path);
  const fingerprint = hex.encode(root.fingerprint);
  const origin = path.replace(/^m/, '').replace(/'/g, 'h');
  return { root, fingerprint, account, keyExpr: `[${fingerprint}${origin}]${account.neutered().toBase58()}/<0;1>/*` };
}

/** A `wsh(sortedmulti(m, …))` multipath descriptor with its checksum. */
export function multisigDescriptor(m: number, signers: readonly TestCosigner[]): string {
  return parseDescriptor(`wsh(sortedmulti(${m},${signers.map((s) => s.keyExpr).join(',')}))`, { requireChecksum: false }).descriptor;
}

/** A single-key `wpkh(…/<0;1>/*)` descriptor (simple to sign in tests); make the cosigner with path m/84'/1'/0'. */
export function wpkhDescriptor(signer: TestCosigner): string {
  return parseDescriptor(`wpkh(${signer.keyExpr})`, { requireChecksum: false }).descriptor;
}

/** A coin of a single-key (wpkh) test vault: where it is, its value, and which key owns it. */
export interface TestCoin {
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  readonly branch: number;
  readonly index: number;
  /** Its scriptPubKey, hex. */
  readonly script: string;
}

/**
 * Spend coins of a `wpkhDescriptor` vault to `outputs` (RBF-signalling), signed with the
 * cosigner's test keys: the raw transaction, ready to submit to the regtest node.
 */
export function signSpend(signer: TestCosigner, utxos: readonly TestCoin[], outputs: ReadonlyArray<{ address: string; value: bigint }>): Uint8Array {
  const psbt = new Psbt({ network: networks.regtest });
  for (const u of utxos) psbt.addInput({ hash: u.txid, index: u.vout, sequence: 0xfffffffd, witnessUtxo: { script: hex.decode(u.script), value: u.value } });
  for (const o of outputs) psbt.addOutput({ address: o.address, value: o.value });
  utxos.forEach((u, i) => {
    const child = signer.account.derive(u.branch).derive(u.index);
    psbt.signInput(i, ECPair.fromPrivateKey(Uint8Array.from(child.privateKey ?? new Uint8Array()), { network: networks.regtest }));
  });
  psbt.finalizeAllInputs();
  return Uint8Array.from(psbt.extractTransaction().toBuffer());
}
