/**
 * Shared pieces of the proof-of-reserves tests: test vaults, funding them on the embedded regtest
 * node, and a signing round (each signer signs its own copy, then combine and finalize) that ends
 * in a proof file. Private keys exist only here, on regtest.
 */
import { Transaction } from 'bitcoinjs-lib';
import { checksum } from '@bitcoinerlab/descriptors';
import { hex } from '@scure/base';
import type { RegtestNode } from '../../src/adapters/chain/regtest-node.ts';
import { JsonRpcClient } from '../../src/adapters/chain/rpc-client.ts';
import { ensureEcc, vaultOutput } from '../../src/core/bitcoin/psbt.ts';
import { NUMS_INTERNAL_KEY } from '../../src/core/vault/formats/wallet-config.ts';
import { buildProofPsbt, type ProofInputSpec, type ProofPsbt } from '../../src/core/por/build.ts';
import { combineProofPsbts, finalizeProofPsbt } from '../../src/core/por/finalize.ts';
import { makeProofFile, type ProofFile } from '../../src/core/por/proof-file.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';
import { cosigner, multisigDescriptor, type TestCosigner } from '../helpers/vault-keys.ts';

export const A = cosigner(0xa1);
export const B = cosigner(0xb2);
export const C = cosigner(0xc3);
export const R = cosigner(0xd4);

export const WSH_2OF3 = multisigDescriptor(2, [A, B, C]);

function withChecksum(d: string): string {
  return `${d}#${checksum(d)}`;
}

/** tr(NUMS, multi_a(2, A, B, C)): a taproot vault spent by its script path. */
export const TR_MULTI_A = withChecksum(`tr(${NUMS_INTERNAL_KEY},multi_a(2,${A.keyExpr},${B.keyExpr},${C.keyExpr}))`);

/** Miniscript: 2-of-3, or the recovery key after ~1 year of blocks. */
export const MINISCRIPT = withChecksum(`wsh(or_d(multi(2,${A.keyExpr},${B.keyExpr},${C.keyExpr}),and_v(v:pk(${R.keyExpr}),older(52560))))`);

export function rpcOf(node: RegtestNode): JsonRpcClient {
  return new JsonRpcClient({ url: node.rpcUrl, user: node.rpcUser, password: node.rpcPassword });
}

export interface FundedUtxo extends ProofInputSpec {
  readonly script: string;
}

/** Pay `value` to the vault at (change, index) and confirm it; returns the UTXO. */
export async function fundVault(node: RegtestNode, rpc: JsonRpcClient, descriptor: string, change: boolean, index: number, value: bigint): Promise<FundedUtxo> {
  ensureEcc(); // bitcoinjs needs its secp256k1 backend to read a taproot address (the harness wallet decodes it)
  const out = vaultOutput(descriptor, 'regtest', change ? 1 : 0, index);
  const txid = await node.fund(out.getAddress(), value, { confirm: true });
  const tx = Transaction.fromHex((await rpc.call('getrawtransaction', [txid, false])) as string);
  const script = hex.encode(out.getScriptPubKey());
  const vout = tx.outs.findIndex((o) => hex.encode(o.script) === script && o.value === value);
  if (vout < 0) throw new Error('fundVault: the funding output was not found');
  return { descriptor, txid, vout, value, change, index, script };
}

export async function blockAt(rpc: JsonRpcClient, height: number): Promise<{ height: number; hash: string }> {
  return { height, hash: (await rpc.call('getblockhash', [height])) as string };
}

export interface SignedProof {
  readonly built: ProofPsbt;
  readonly file: ProofFile;
  readonly txHex: string;
}

/** Build a proof, have each signer sign its own copy, combine, finalize, and make the file. */
export function signedProof(opts: {
  message: string;
  challenge?: string;
  block: { height: number; hash: string };
  utxos: readonly FundedUtxo[];
  signers: readonly TestCosigner[];
  descriptors: readonly string[];
  messageOutput?: { descriptor: string; change: boolean; index: number };
}): SignedProof {
  const descriptor = opts.utxos[0]?.descriptor ?? '';
  const built = buildProofPsbt({
    network: 'regtest',
    message: opts.message,
    challenge: opts.challenge,
    messageOutput: opts.messageOutput ?? { descriptor, change: false, index: 0 },
    inputs: opts.utxos,
  });
  const partials = opts.signers.map((s) => signPsbtWithKey(built.psbt, parseExtendedPrivateKey(s.root.toBase58(), 'test key')).psbt);
  const commitment = { message: opts.message, challenge: opts.challenge };
  const combined = combineProofPsbts(partials, commitment);
  const final = finalizeProofPsbt(combined, { network: 'regtest', descriptors: opts.descriptors, commitment });
  const file = makeProofFile({
    network: 'regtest',
    message: opts.message,
    challenge: opts.challenge,
    block: opts.block,
    utxos: built.utxos.map((u) => ({ txid: u.txid, vout: u.vout, amount: u.value, script: u.script })),
    transactions: [{ hex: final.txHex, messageScript: built.messageScript }],
    descriptors: opts.descriptors,
  });
  return { built, file, txHex: final.txHex };
}
