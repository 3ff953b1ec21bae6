// An independent oracle for sorted-multisig addresses: BIP32 derivation with `bip32`, BIP67 key
// sorting, and script/address construction with bitcoinjs-lib's payments. It shares no code path
// with @bitcoinerlab/descriptors' descriptor parser, which the formats use.
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { networks, payments } from 'bitcoinjs-lib';
import type { Network } from '../../src/core/network.ts';
import type { ScriptType } from '../../src/core/vault/formats/wallet-config.ts';

const bip32 = BIP32Factory(ecc);

function libNet(n: Network): networks.Network {
  return n === 'main' ? networks.bitcoin : n === 'regtest' ? networks.regtest : networks.testnet;
}

export function oracleAddress(xpubs: readonly string[], threshold: number, scriptType: Exclude<ScriptType, 'p2tr'>, network: Network, change: number, index: number): string {
  const net = libNet(network);
  const pubkeys = xpubs
    .map((x) => bip32.fromBase58(x, net).derive(change).derive(index).publicKey)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const ms = payments.p2ms({ m: threshold, pubkeys, network: net });
  const p = scriptType === 'p2wsh' ? payments.p2wsh({ redeem: ms, network: net })
    : scriptType === 'p2sh-p2wsh' ? payments.p2sh({ redeem: payments.p2wsh({ redeem: ms, network: net }), network: net })
      : payments.p2sh({ redeem: ms, network: net });
  if (!p.address) throw new Error('oracle: no address');
  return p.address;
}
