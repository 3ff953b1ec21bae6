// PSBT uploads fuzzed through the real server, on both engines (issue #19, item 5: "no 500
// across at least 5,000 requests"). The only route that takes a signer's file is
// POST /proposals/:id/psbt (a PSBT in base64 or hex, partially signed or finalized, or a fully
// signed raw transaction); every request here goes to it.
//
// The starting points are REAL files of REAL proposals on the embedded regtest node: each
// cosigner's partial PSBT, the combined (complete) PSBT, the finalized PSBT, the raw signed
// transaction, and the same PSBT as BIP370 v2. A seeded generator (seed printed in every failure;
// FUZZ_SEED to replay, FUZZ=2 for twice as many requests) mutates them: bit flips, truncations,
// inserted garbage, key types changed, values resized, huge unknown and proprietary fields,
// amounts with the top bit set, wrong witness UTXOs, duplicated keys, wrong sighash types (field
// and signature byte), forged final witnesses, extra or missing inputs and outputs, swapped inputs,
// other transactions, signatures of another proposal, v2 fields broken, and every encoding
// (base64, hex, whitespace, base64url, double encoding, garbage, over the size limits).
//
// Asserted for every request: never a 5xx; a refusal is a 4xx whose body is exactly
// {"error":{"code","message"}} with a code from the domain's list that the error map gives that
// status, among the codes this route may answer; the same refused request answers the same way
// twice (a sample is replayed). After the fuzz, for every proposal it hit: the proposal is still
// `approved`, one upload is recorded per accepted request and none per refused one (under the
// cap), its PSBT still verifies and carries nothing but the vault's fields and verified
// signatures (small, no unknown fields), the PSBT exported to signers did not grow, and a valid
// signed upload still completes it, finalize works and the node accepts the transaction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base64, hex } from '@scure/base';
import { Transaction } from 'bitcoinjs-lib';
import type { FastifyInstance } from 'fastify';
import { forEachEngine, type EngineContext } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { seeded } from '../helpers/memory-public-view.ts';
import { buildServer } from '../../src/server/app.ts';
import { HTTP_STATUS_BY_ERROR } from '../../src/server/error-map.ts';
import { ERROR_CODES, type ErrorCode } from '../../src/core/errors.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { combinePsbts, extractTransaction, finalizePsbt, verifyPsbtInputs } from '../../src/core/bitcoin/psbt.ts';
import { readPsbtMaps, type PsbtKeyValue } from '../../src/core/bitcoin/psbt-map.ts';
import { MAX_STORED_UPLOADS } from '../../src/app/import-partial-psbt.ts';
import { FOREIGN, setupGovernance, signAs, type Governance } from '../spend/fixtures.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const SCALE = ((s) => (Number.isFinite(s) && s > 0 ? s : 1))(Number(process.env.FUZZ ?? 1));
/**
 * Requests per engine in the default suite: 3,000 on SQLite; 1,000 on PostgreSQL, where every
 * upload is a governance transaction over the network (same generator and seed, so the same kinds
 * of input; the engine only changes the store). The suite's time budget sets these; deeper runs:
 * FUZZ=5 (15,000 / 5,000) with another FUZZ_SEED.
 */
const ROUNDS = { sqlite: Math.max(50, Math.round(3000 * SCALE)), postgres: Math.max(50, Math.round(1000 * SCALE)) } as const;

/** The codes this route may refuse with (anything else is a finding). */
const ROUTE_CODES = new Set<ErrorCode>(['INVALID_ARGUMENT', 'INVALID_PSBT', 'INVALID_SIGNATURE', 'PSBT_MISMATCH', 'PSBT_INCOMPLETE']);

const regtest = useRegtestNode();

// ---------------------------------------------------------------------------------------------
// A raw PSBT codec of our own (independent of the one under test), so that mutations can write
// what the real one would refuse to: duplicated keys, wrong counts, oversized values.

type Map_ = PsbtKeyValue[];
interface Maps { global: Map_; inputs: Map_[]; outputs: Map_[] }

function compact(n: number, out: number[]): void {
  if (n < 0xfd) out.push(n);
  else if (n <= 0xffff) out.push(0xfd, n & 0xff, n >>> 8);
  else out.push(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

function writeMaps(m: Maps): Uint8Array {
  const out: number[] = [0x70, 0x73, 0x62, 0x74, 0xff];
  const map = (kvs: Map_): void => {
    for (const kv of kvs) {
      compact(kv.key.length, out);
      for (const b of kv.key) out.push(b);
      compact(kv.value.length, out);
      for (let i = 0; i < kv.value.length; i++) out.push(kv.value[i] as number);
    }
    out.push(0);
  };
  map(m.global);
  m.inputs.forEach(map);
  m.outputs.forEach(map);
  return Uint8Array.from(out);
}

const copyMaps = (m: Maps): Maps => ({ global: [...m.global], inputs: m.inputs.map((x) => [...x]), outputs: m.outputs.map((x) => [...x]) });
const kv = (key: number[] | Uint8Array, value: Uint8Array): PsbtKeyValue => ({ key: Uint8Array.from(key), value });
const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const u64 = (n: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  for (let i = 0; i < 8; i++) b[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return b;
};

/** The same PSBT as BIP370 v2: the unsigned transaction becomes per-input and per-output fields. */
function toV2(m: Maps): Maps | null {
  const txkv = m.global.find((x) => x.key[0] === 0x00);
  if (!txkv) return null;
  let tx: Transaction;
  try {
    tx = Transaction.fromBuffer(txkv.value);
  } catch {
    return null; // an earlier mutation broke it
  }
  if (tx.ins.length !== m.inputs.length || tx.outs.length !== m.outputs.length) return null;
  const varint = (n: number): Uint8Array => {
    const o: number[] = [];
    compact(n, o);
    return Uint8Array.from(o);
  };
  return {
    global: [
      ...m.global.filter((x) => x.key[0] !== 0x00),
      kv([0x02], u32(tx.version)),
      kv([0x03], u32(tx.locktime)),
      kv([0x04], varint(tx.ins.length)),
      kv([0x05], varint(tx.outs.length)),
      kv([0xfb], u32(2)),
    ],
    inputs: m.inputs.map((x, i) => {
      const tin = tx.ins[i] as Transaction['ins'][number];
      return [...x, kv([0x0e], Uint8Array.from(tin.hash)), kv([0x0f], u32(tin.index)), kv([0x10], u32(tin.sequence))];
    }),
    outputs: m.outputs.map((x, i) => {
      const o = tx.outs[i] as Transaction['outs'][number];
      return [...x, kv([0x03], u64(o.value)), kv([0x04], Uint8Array.from(o.script))];
    }),
  };
}

/** Byte offsets of each output's 8-byte amount in a serialized transaction (with or without witnesses). */
function outputAmountOffsets(raw: Uint8Array): number[] {
  let p = 4;
  const varint = (): number => {
    const b = raw[p++] ?? 0;
    if (b < 0xfd) return b;
    const n = b === 0xfd ? 2 : b === 0xfe ? 4 : 8;
    let v = 0;
    for (let i = 0; i < n; i++) v += (raw[p + i] ?? 0) * 2 ** (8 * i);
    p += n;
    return v;
  };
  if (raw[4] === 0x00 && raw[5] === 0x01) p += 2;
  const nIn = varint();
  for (let i = 0; i < nIn && p < raw.length; i++) {
    p += 36;
    const scriptLength = varint();
    p += scriptLength + 4;
  }
  const nOut = varint();
  const offs: number[] = [];
  for (let i = 0; i < nOut && p + 8 <= raw.length; i++) {
    offs.push(p);
    p += 8;
    const scriptLength = varint();
    p += scriptLength;
  }
  return offs;
}

function readWitness(b: Uint8Array): Uint8Array[] {
  let p = 0;
  const varint = (): number => {
    const x = b[p++] ?? 0;
    if (x < 0xfd) return x;
    const v = (b[p] ?? 0) | ((b[p + 1] ?? 0) << 8);
    p += 2;
    return v;
  };
  const n = varint();
  const items: Uint8Array[] = [];
  for (let i = 0; i < n && p < b.length; i++) {
    const len = varint();
    items.push(b.slice(p, p + len));
    p += len;
  }
  return items;
}

function writeWitness(items: readonly Uint8Array[]): Uint8Array {
  const out: number[] = [];
  compact(items.length, out);
  for (const it of items) {
    compact(it.length, out);
    out.push(...it);
  }
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------

/** One proposal the fuzz uploads to, with its real signer files. */
interface Target {
  id: number;
  exported: string;
  /** Each cosigner's partial PSBT (base64). */
  partials: string[];
  /** Cosigners 0 and 2 combined: complete. */
  combined: string;
  /** The combined PSBT finalized (as Electrum hands it back). */
  finalized: string;
  /** The raw signed transaction. */
  rawTx: Uint8Array;
  accepted: number;
}

interface Harness {
  app: FastifyInstance;
  g: Governance;
  luis: string;
  newTarget(): Promise<Target>;
}

/**
 * Coins (two per proposal) for the proposals a run of `rounds` requests fills: the one the wrong
 * files come from, the first target, one more per MAX_STORED_UPLOADS - 1 accepted uploads (about
 * one request in ten is accepted: counted as 15 % here), and two spare.
 */
const coinsFor = (rounds: number): number => 2 * (2 + Math.ceil((rounds * 0.15) / (MAX_STORED_UPLOADS - 1)) + 2);

async function harness(t: EngineContext, rounds: number): Promise<Harness> {
  const db = await t.open();
  const g = await setupGovernance(regtest.node(), db, { fund: [] });
  // coins for the proposals of two inputs each the run needs (several coins on one address is fine)
  for (let i = 0; i < coinsFor(rounds); i++) await g.node.fund(await g.addr(0, i % 8), 50_000_000n);
  await g.node.mine(1);
  await g.sync();
  const tokens = new SqlApiTokenStore(db, { clock: { now: g.clock.now } });
  const tok = async (member: string, role: 'operator' | 'approver') => (await tokens.create({ name: `${member} fuzz`, role, memberId: member })).token;
  const luis = await tok('luis', 'operator');
  const maria = await tok('maria', 'approver');
  const pedro = await tok('pedro', 'approver');
  const app = await buildServer({
    publicView: new SqlPublicView(db, 'regtest'), publicCacheMs: 0, prices: loadPriceHistory(), tokens, vaults: g.vaults,
    governance: { spends: g.spends, chain: g.deps.chain, network: 'regtest' }, clock: { now: g.clock.now }, webRoot: null, rateLimit: null,
  });
  const call = async (token: string, method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    return res;
  };
  const ok = <T>(res: { statusCode: number; body: string; json(): unknown }, what: string): T => {
    assert.ok(res.statusCode < 300, `${what}: ${res.statusCode} ${res.body}`);
    return res.json() as T;
  };
  return {
    app, g, luis,
    async newTarget() {
      const created = ok<{ proposal: { id: number } }>(await call(luis, 'POST', '/proposals', { vault: g.vault.name, payments: [{ address: FOREIGN, sats: '70000000' }], feeRateSatPerVb: '2' }), 'propose');
      const id = created.proposal.id;
      ok(await call(maria, 'POST', `/proposals/${id}/approve`), 'approve maria');
      ok(await call(pedro, 'POST', `/proposals/${id}/approve`), 'approve pedro');
      const { psbt: exported } = ok<{ psbt: string }>(await call(luis, 'GET', `/proposals/${id}/psbt`), 'export');
      const partials = [0, 1, 2].map((s) => signAs(g, s, exported));
      const combined = combinePsbts([partials[0] as string, partials[2] as string]);
      const finalized = finalizePsbt(combined, { network: 'regtest', descriptor: g.vault.descriptor as string });
      const rawTx = hex.decode(extractTransaction(finalized).hex);
      assert.ok(readPsbtMaps(base64.decode(exported)).inputs.length >= 2, 'the fuzz wants proposals of two inputs or more');
      return { id, exported, partials, combined, finalized, rawTx, accepted: 0 };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The generator.

function generator(seed: number) {
  const rand = seeded(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const bytes = (n: number): Uint8Array => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  return { rand, int, pick, bytes };
}
type Gen = ReturnType<typeof generator>;

const SIGHASH_TYPES = [0x00, 0x02, 0x03, 0x04, 0x40, 0x41, 0x81, 0x82, 0x83, 0xff];
const SIZES = [0, 1, 33, 100, 520, 4096, 4097, 16_385, 0, 1, 100, 4097, 70_000, 400_000];

/** A random map of `m` (global, an input, an output). */
function someMap(gen: Gen, m: Maps): Map_ {
  const r = gen.int(3);
  if (r === 0 || (m.inputs.length === 0 && m.outputs.length === 0)) return m.global;
  if (r === 1 && m.inputs.length > 0) return gen.pick(m.inputs);
  return m.outputs.length > 0 ? gen.pick(m.outputs) : m.global;
}

/** One structured mutation (names are reported with each failure). */
function mutateMaps(gen: Gen, m: Maps, t: Target, others: readonly Target[]): string {
  const { int, pick, bytes, rand } = gen;
  const inputs = m.inputs;
  const anInput = (): Map_ | undefined => (inputs.length ? pick(inputs) : undefined);
  const setField = (map: Map_, type: number, value: Uint8Array): void => {
    const at = map.findIndex((x) => x.key.length === 1 && x.key[0] === type);
    if (at >= 0) map[at] = kv([type], value);
    else map.push(kv([type], value));
  };
  const txOf = (): Transaction | undefined => {
    const raw = m.global.find((x) => x.key[0] === 0x00)?.value;
    try {
      return raw ? Transaction.fromBuffer(raw) : undefined;
    } catch {
      return undefined;
    }
  };
  const setTx = (tx: Transaction): void => setField(m.global, 0x00, Uint8Array.from(tx.toBuffer()));
  switch (int(22)) {
    case 0: {
      const map = someMap(gen, m);
      if (!map.length) return 'noop';
      const i = int(map.length);
      const old = map[i] as PsbtKeyValue;
      const key = Uint8Array.from(old.key);
      key[0] = pick([int(256), 0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x08, 0x0e, 0x13, 0x15, 0x16, 0x17, 0xfb, 0xfc]);
      map[i] = { key, value: old.value };
      return `key type of a field -> 0x${(key[0] as number).toString(16)}`;
    }
    case 1: {
      const map = someMap(gen, m);
      if (!map.length) return 'noop';
      const i = int(map.length);
      const old = map[i] as PsbtKeyValue;
      const n = pick([0, 1, old.value.length - 1, old.value.length + 1, old.value.length * 2, 8, 32, 33, 65, 73]);
      const value = new Uint8Array(Math.max(0, n));
      value.set(old.value.subarray(0, Math.min(old.value.length, value.length)));
      if (value.length > old.value.length) value.set(bytes(value.length - old.value.length), old.value.length);
      map[i] = { key: old.key, value };
      return `value of type 0x${(old.key[0] ?? 0).toString(16)} resized ${old.value.length} -> ${value.length}`;
    }
    case 2: {
      const size = pick(SIZES);
      const type = pick([0x19, 0x1f, 0x20, 0x50, 0xaa, 0xf0, 0xfa, 0xfe]);
      someMap(gen, m).push(kv([type, ...bytes(int(3))], bytes(size)));
      return `unknown field 0x${type.toString(16)} of ${size} bytes`;
    }
    case 3: {
      const size = pick(SIZES);
      const prefix = [...new TextEncoder().encode(pick(['soberana', 'x', 'electrum', '']))];
      someMap(gen, m).push(kv([0xfc, prefix.length, ...prefix, int(256), ...bytes(int(4))], bytes(size)));
      return `proprietary field of ${size} bytes`;
    }
    case 4: {
      // amounts with the top bit set (or out of range) in the unsigned transaction's outputs
      const raw = m.global.find((x) => x.key[0] === 0x00)?.value;
      if (!raw) return 'noop';
      const v = Uint8Array.from(raw);
      const offs = outputAmountOffsets(v);
      const off = offs.length ? pick(offs) : undefined;
      if (off === undefined || off + 8 > v.length) return 'noop';
      const how = int(3);
      if (how === 0) v[off + 7] = (v[off + 7] ?? 0) | 0x80;
      else if (how === 1) v.set(u64(2_100_000_000_000_001n), off);
      else v.set(u64(0xffffffffffffffffn), off);
      setField(m.global, 0x00, v);
      return `unsigned tx output amount out of range (${how})`;
    }
    case 5: {
      const inp = anInput();
      const w = inp?.find((x) => x.key[0] === 0x01);
      if (!inp || !w) return 'noop';
      const v = Uint8Array.from(w.value);
      const how = int(4);
      if (how === 0) v[7] = (v[7] ?? 0) | 0x80; // top bit: negative as int64
      else if (how === 1) v.set(u64(2_100_000_000_000_001n), 0);
      else if (how === 2) v.set(u64((BigInt(v[0] ?? 0) | 1n) + 1n), 0); // another amount
      else v.set(bytes(4), 9); // the script changed
      inp[inp.indexOf(w)] = { key: w.key, value: v };
      return `witnessUtxo wrong (${how})`;
    }
    case 6: {
      // the witness UTXO of the other input, or of another proposal
      const a = anInput();
      const src = rand() < 0.5 ? anInput() : readPsbtMaps(base64.decode(pick(others.length ? others : [t]).exported)).inputs[0];
      const w = src?.find((x) => x.key[0] === 0x01);
      if (!a || !w) return 'noop';
      setField(a, 0x01, w.value);
      return 'witnessUtxo swapped';
    }
    case 7: {
      const map = someMap(gen, m);
      if (!map.length) return 'noop';
      const dup = map[int(map.length)] as PsbtKeyValue;
      map.splice(int(map.length + 1), 0, rand() < 0.5 ? dup : { key: dup.key, value: bytes(dup.value.length) });
      return `duplicated key 0x${(dup.key[0] ?? 0).toString(16)}`;
    }
    case 8: {
      const inp = anInput();
      if (!inp) return 'noop';
      const type = pick(SIGHASH_TYPES);
      setField(inp, 0x03, rand() < 0.9 ? u32(type) : bytes(pick([0, 1, 3, 5])));
      return `PSBT_IN_SIGHASH_TYPE ${type}`;
    }
    case 9: {
      // a partial signature's sighash byte changed (the signature then commits to another hash)
      const inp = anInput();
      const sigs = inp?.filter((x) => x.key[0] === 0x02) ?? [];
      if (!inp || !sigs.length) return 'noop';
      const s = pick(sigs);
      const v = Uint8Array.from(s.value);
      v[v.length - 1] = pick(SIGHASH_TYPES);
      inp[inp.indexOf(s)] = { key: s.key, value: v };
      return `partial signature sighash byte ${v[v.length - 1]}`;
    }
    case 10: {
      // a partial signature claimed by another key of the vault, or a bit of it flipped
      const inp = anInput();
      const sigs = inp?.filter((x) => x.key[0] === 0x02) ?? [];
      const keys = inp?.filter((x) => x.key[0] === 0x06).map((x) => x.key.subarray(1)) ?? [];
      if (!inp || !sigs.length || !keys.length) return 'noop';
      const s = pick(sigs);
      if (rand() < 0.5) {
        inp[inp.indexOf(s)] = { key: Uint8Array.from([0x02, ...pick(keys)]), value: s.value };
        return 'partial signature under another key';
      }
      const v = Uint8Array.from(s.value);
      const bit = int(8 * (v.length - 1));
      v[bit >> 3] = (v[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      inp[inp.indexOf(s)] = { key: s.key, value: v };
      return 'partial signature bit flip';
    }
    case 11: {
      // a forged or altered final witness (the issue's "complete:true" without a valid signature)
      const inp = anInput();
      if (!inp) return 'noop';
      const fw = inp.find((x) => x.key[0] === 0x08);
      const ws = inp.find((x) => x.key[0] === 0x05)?.value ?? bytes(71);
      let items: Uint8Array[];
      if (fw && rand() < 0.7) {
        items = readWitness(fw.value);
        const j = int(Math.max(1, items.length));
        const it = items[j];
        if (it && it.length) {
          const c = Uint8Array.from(it);
          if (rand() < 0.5) c[c.length - 1] = pick(SIGHASH_TYPES);
          else {
            const at = int(c.length);
            c[at] = (c[at] ?? 0) ^ (1 << int(8));
          }
          items[j] = c;
        }
      } else items = [new Uint8Array(0), bytes(72), bytes(71), ws];
      setField(inp, 0x08, writeWitness(items));
      if (rand() < 0.5) for (let k = inp.length - 1; k >= 0; k--) if (inp[k]?.key[0] === 0x02) inp.splice(k, 1);
      return 'final witness forged or altered';
    }
    case 12: {
      // an extra input or output map, or one missing (the maps no longer match the transaction)
      const how = int(4);
      if (how === 0) m.inputs.push(rand() < 0.5 ? [] : [...(m.inputs[0] ?? [])]);
      else if (how === 1) m.outputs.push([]);
      else if (how === 2) m.inputs.pop();
      else m.outputs.pop();
      return `map count changed (${how})`;
    }
    case 13: {
      // an extra input or output in the transaction itself (another transaction)
      const tx = txOf();
      if (!tx) return 'noop';
      if (rand() < 0.5) {
        tx.addInput(bytes(32), int(4));
        m.inputs.push(rand() < 0.5 ? [] : [...(m.inputs[0] ?? [])]);
      } else {
        tx.addOutput(Uint8Array.from([0x00, 0x14, ...bytes(20)]), BigInt(1000 + int(1_000_000)));
        m.outputs.push([]);
      }
      setTx(tx);
      return 'extra input or output in the transaction';
    }
    case 14: {
      const tx = txOf();
      if (!tx) return 'noop';
      const how = int(5);
      if (how === 0) tx.locktime = int(1_000_000);
      else if (how === 1) tx.version = pick([1, 3, 0xffffffff, 0x7fffffff]);
      else if (how === 2 && tx.ins[0]) tx.ins[0].sequence = int(0xffffffff);
      else if (how === 3 && tx.outs[0]) tx.outs[0].value = tx.outs[0].value + 1n;
      else if (tx.ins.length > 1) tx.ins.reverse();
      setTx(tx);
      return `transaction changed (${how})`;
    }
    case 15: {
      if (m.inputs.length < 2) return 'noop';
      m.inputs.reverse();
      return 'input maps swapped';
    }
    case 16: {
      // fields the verifier relies on removed
      const inp = anInput();
      if (!inp) return 'noop';
      const type = pick([0x00, 0x01, 0x05, 0x06, 0x02]);
      for (let k = inp.length - 1; k >= 0; k--) if (inp[k]?.key[0] === type) inp.splice(k, 1);
      return `input field 0x${type.toString(16)} removed`;
    }
    case 17: {
      // a nonWitnessUtxo that is garbage, or a real transaction that is not the one spent
      const inp = anInput();
      if (!inp) return 'noop';
      const other = pick(others.length ? others : [t]);
      setField(inp, 0x00, rand() < 0.5 ? bytes(pick([0, 10, 60, 200])) : other.rawTx);
      return 'nonWitnessUtxo wrong';
    }
    case 18: {
      // a v2 PSBT with its v2 fields broken
      const v2 = toV2(m);
      if (!v2) return 'noop';
      m.global = v2.global;
      m.inputs = v2.inputs;
      m.outputs = v2.outputs;
      const how = int(6);
      if (how === 0) setField(m.global, 0x04, Uint8Array.of(m.inputs.length + 1));
      else if (how === 1) setField(m.global, 0x05, Uint8Array.of(0));
      else if (how === 2) setField(m.global, 0xfb, u32(pick([1, 3, 0xffffffff])));
      else if (how === 3 && m.outputs[0]) setField(m.outputs[0], 0x03, u64(pick([1n << 63n, 2_100_000_000_000_001n, 0xffffffffffffffffn])));
      else if (how === 4 && m.inputs[0]) m.inputs[0] = m.inputs[0].filter((x) => x.key[0] !== 0x0e);
      else m.global.push(kv([0x00], bytes(60)));
      return `PSBT v2 broken (${how})`;
    }
    case 19: {
      const v2 = toV2(m);
      if (!v2) return 'noop';
      m.global = v2.global;
      m.inputs = v2.inputs;
      m.outputs = v2.outputs;
      return 'PSBT v2 (valid)';
    }
    case 20: {
      // a global xpub or derivation with nonsense
      someMap(gen, m).push(kv([pick([0x01, 0x06, 0x02]), ...bytes(pick([0, 5, 33, 78]))], bytes(pick([0, 3, 4, 8, 2000]))));
      return 'derivation-like field with nonsense';
    }
    default: {
      // a harmless unknown field (accepted when nothing else is wrong; the field is not kept)
      if (rand() < 0.5) return mutateMaps(gen, m, t, others);
      someMap(gen, m).push(kv([0xf1, ...bytes(2)], bytes(int(200))));
      return 'small unknown field';
    }
  }
}

/** Byte-level damage after serialization. */
function mutateBytes(gen: Gen, b: Uint8Array): [Uint8Array, string] {
  const { int, bytes, pick } = gen;
  switch (int(4)) {
    case 0: {
      const c = Uint8Array.from(b);
      const n = 1 + int(8);
      for (let k = 0; k < n; k++) {
        const bit = int(c.length * 8);
        c[bit >> 3] = (c[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      }
      return [c, `${n} bit flips`];
    }
    case 1:
      return [b.subarray(0, int(b.length)), 'truncated'];
    case 2: {
      const at = int(b.length + 1);
      const ins = bytes(pick([1, 2, 4, 9, 100]));
      return [Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]), 'bytes inserted'];
    }
    default: {
      const at = int(b.length);
      return [Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + int(8))]), 'bytes deleted'];
    }
  }
}

/** The signed raw transaction, mutated. */
function mutateRawTx(gen: Gen, t: Target): [Uint8Array, string] {
  const { int, pick, rand, bytes } = gen;
  const tx = Transaction.fromBuffer(t.rawTx);
  switch (int(8)) {
    case 0: return rand() < 0.2 ? [t.rawTx, 'raw tx as is'] : mutateBytes(gen, t.rawTx);
    case 1: {
      const w = pick(tx.ins).witness;
      const j = int(w.length);
      const c = Uint8Array.from(w[j] ?? []);
      if (c.length) {
        if (rand() < 0.5) c[c.length - 1] = pick(SIGHASH_TYPES);
        else {
          const at = int(c.length);
          c[at] = (c[at] ?? 0) ^ (1 << int(8));
        }
      }
      w[j] = c;
      return [Uint8Array.from(tx.toBuffer()), 'raw tx witness item altered'];
    }
    case 2: {
      const input = pick(tx.ins);
      input.witness = rand() < 0.5 ? [] : [new Uint8Array(0), bytes(72), bytes(72), input.witness[input.witness.length - 1] ?? bytes(71)];
      return [Uint8Array.from(tx.toBuffer()), 'raw tx witness removed or forged'];
    }
    case 3: {
      for (const i of tx.ins) i.witness = [];
      return [Uint8Array.from(tx.toBuffer()), 'raw tx without signatures'];
    }
    case 4: {
      const v = Uint8Array.from(t.rawTx);
      const off = pick(outputAmountOffsets(v));
      v[off + 7] = (v[off + 7] ?? 0) | 0x80;
      return [v, 'raw tx amount with the top bit set'];
    }
    case 5: {
      if (rand() < 0.5) tx.addOutput(Uint8Array.from([0x00, 0x14, ...bytes(20)]), 1000n);
      else tx.addInput(bytes(32), 0);
      return [Uint8Array.from(tx.toBuffer()), 'raw tx with an extra input or output'];
    }
    case 6: {
      tx.ins.reverse();
      return [Uint8Array.from(tx.toBuffer()), 'raw tx inputs swapped'];
    }
    default: return mutateBytes(gen, t.rawTx);
  }
}

/** The upload's text: mostly base64, else hex and the encodings people and tools get wrong. */
function encode(gen: Gen, b: Uint8Array): [string, string] {
  const { int, pick, rand } = gen;
  const b64 = base64.encode(b);
  switch (int(14)) {
    case 0: return [hex.encode(b), 'hex'];
    case 1: return [hex.encode(b).toUpperCase(), 'HEX'];
    case 2: return [b64.replace(/(.{64})/g, '$1\n'), 'base64 with newlines'];
    case 3: return [`  ${b64}\r\n`, 'base64 padded with whitespace'];
    case 4: return [b64.replace(/=+$/, ''), 'base64 without padding'];
    case 5: return [b64.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url'];
    case 6: return [base64.encode(new TextEncoder().encode(b64)), 'base64 of base64'];
    case 7: return [pick(['psbt', 'cHNidP8=', 'cHNidP8B', '70736274ff', '70736274ff00', '00', '0', '=', '====', '{}', 'null', 'ñandú', '\u0000', '\u202e', '💥']), 'garbage word'];
    case 8: return [`${pick(['x', '%', ' ', '#', '-----BEGIN PSBT-----\n'])}${b64}`, 'garbage prefix'];
    case 9: return [b64.slice(0, rand() < 0.5 ? 1 : b64.length - 1), 'base64 cut'];
    default: return [b64, 'base64'];
  }
}

interface Request {
  what: string;
  payload: string;
  contentType: string;
}

function makeRequest(gen: Gen, t: Target, others: readonly Target[]): Request {
  const { int, pick, rand } = gen;
  // the request envelope itself, sometimes
  if (rand() < 0.04) {
    const good = JSON.stringify({ psbt: t.partials[0] });
    const r = int(9);
    if (r === 0) return { what: 'empty psbt', payload: JSON.stringify({ psbt: '' }), contentType: 'application/json' };
    if (r === 1) return { what: 'psbt not a string', payload: JSON.stringify({ psbt: pick([1, true, null, [], {}, [t.partials[0]]]) }), contentType: 'application/json' };
    if (r === 2) return { what: 'extra property', payload: JSON.stringify({ psbt: t.partials[0], signer: 'x' }), contentType: 'application/json' };
    if (r === 3) return { what: 'text over the schema limit', payload: JSON.stringify({ psbt: 'A'.repeat(700_001) }), contentType: 'application/json' };
    if (r === 4) return { what: 'body over the size limit', payload: JSON.stringify({ psbt: 'A'.repeat(1024 * 1024 + 10) }), contentType: 'application/json' };
    if (r === 5) return { what: 'truncated JSON', payload: good.slice(0, int(good.length)), contentType: 'application/json' };
    if (r === 6) return { what: 'wrong content type', payload: good, contentType: pick(['text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded']) };
    if (r === 7) return { what: 'no body', payload: '', contentType: 'application/json' };
    return { what: 'hex of 0x80-topped zeros', payload: JSON.stringify({ psbt: '80'.repeat(int(3000) * 2 + 2) }), contentType: 'application/json' };
  }
  // finalized PSBTs and raw transactions go through the script interpreter (the costliest checks):
  // one request in nine each keeps the run short and still sends over 500 of each
  const kind = pick(['partial', 'partial', 'partial', 'partial', 'partial', 'combined', 'finalized', 'raw', 'other'] as const);
  let bytes: Uint8Array;
  let what: string;
  if (kind === 'raw') {
    [bytes, what] = mutateRawTx(gen, t);
  } else {
    const src = kind === 'partial' ? pick(t.partials) : kind === 'combined' ? t.combined : kind === 'finalized' ? t.finalized : pick(others.length ? others : [t]).partials[0] as string;
    const maps: Maps = copyMaps(readPsbtMaps(base64.decode(src)));
    const steps: string[] = [];
    const n = rand() < 0.01 ? 0 : 1 + int(rand() < 0.7 ? 1 : 3);
    for (let k = 0; k < n; k++) steps.push(mutateMaps(gen, maps, t, others));
    bytes = writeMaps(maps);
    if (rand() < 0.2) {
      let how: string;
      [bytes, how] = mutateBytes(gen, bytes);
      steps.push(how);
    }
    what = `${kind}: ${steps.join(', ') || 'as is'}`;
  }
  const [text, enc] = encode(gen, bytes);
  return { what: `${what} [${enc}]`, payload: JSON.stringify({ psbt: text }), contentType: 'application/json' };
}

// ---------------------------------------------------------------------------------------------

forEachEngine('PSBT upload fuzz', (t) => {
  const rounds = ROUNDS[t.engine];
  test(`${rounds} mutated PSBT and transaction uploads (seed ${SEED}): no 5xx, every refusal a stable 4xx, no proposal corrupted`, async (tt) => {
    const started = Date.now();
    const h = await harness(t, rounds);
    const { app, g, luis } = h;
    try {
      const others = [await h.newTarget()]; // a proposal whose files are uploaded to the wrong one
      const targets = [await h.newTarget()];
      const codes = new Set<string>(ERROR_CODES);
      const seen = new Map<string, number>();
      const sizes = new Map<number, number>(); // exported PSBT size per proposal
      for (const x of [...others, ...targets]) sizes.set(x.id, base64.decode(x.exported).length);
      const gen = generator(SEED);
      const fuzzStarted = Date.now();
      const cpu = process.cpuUsage();
      tt.diagnostic(`setup ${((fuzzStarted - started) / 1000).toFixed(1)} s`);
      const replay: { req: Request; target: number; status: number; code: string }[] = [];
      for (let i = 0; i < rounds; i++) {
        let target = targets[targets.length - 1] as Target;
        // keep one record slot per proposal for the final valid upload below
        if (target.accepted >= MAX_STORED_UPLOADS - 1) {
          target = await h.newTarget();
          sizes.set(target.id, base64.decode(target.exported).length);
          targets.push(target);
        }
        const req = makeRequest(gen, target, others);
        if (process.env.FUZZ_TRACE) {
          process.stderr.write(`#${i} ${req.what}\n`);
          (await import('node:fs')).writeFileSync(process.env.FUZZ_TRACE, JSON.stringify({ proposal: target.exported, descriptor: g.vault.descriptor, payload: req.payload }));
        }
        const res = await app.inject({ method: 'POST', url: `/api/v1/proposals/${target.id}/psbt`, headers: { authorization: `Bearer ${luis}`, 'content-type': req.contentType }, payload: req.payload });
        const what = `seed ${SEED} request #${i} to proposal ${target.id} (${req.what}) -> ${res.statusCode} ${res.body.slice(0, 300)}`;
        assert.ok(res.statusCode < 500, `a 5xx: ${what}`);
        let body: { error?: { code?: unknown; message?: unknown }; complete?: unknown; added?: unknown };
        try {
          body = res.json();
        } catch {
          assert.fail(`not JSON: ${what}`);
        }
        if (res.statusCode === 200) {
          assert.equal(typeof body.complete, 'boolean', what);
          assert.ok(Number.isInteger(body.added) && (body.added as number) >= 0, what);
          target.accepted++;
          seen.set('200', (seen.get('200') ?? 0) + 1);
          continue;
        }
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `neither accepted nor a 4xx: ${what}`);
        assert.deepEqual(Object.keys(body), ['error'], what);
        const code = body.error?.code;
        const message = body.error?.message;
        assert.ok(typeof code === 'string' && codes.has(code), `not a domain code: ${what}`);
        assert.ok(ROUTE_CODES.has(code as ErrorCode), `a code this route should not answer: ${what}`);
        // the error map's status, or Fastify's own 413/415 for the body (code INVALID_ARGUMENT)
        const expected = HTTP_STATUS_BY_ERROR[code as ErrorCode];
        assert.ok(res.statusCode === expected || (code === 'INVALID_ARGUMENT' && [413, 415].includes(res.statusCode)), `status ${res.statusCode} for ${code}: ${what}`);
        assert.ok(typeof message === 'string' && message.length > 0 && message.length < 2000 && !/\n\s+at /.test(message), `message: ${what}`);
        seen.set(code as string, (seen.get(code as string) ?? 0) + 1);
        if (i % 40 === 0) replay.push({ req, target: target.id, status: res.statusCode, code: code as string });
      }

      // the same refused request, sent again, is refused the same way (stable codes)
      for (const r of replay) {
        const res = await app.inject({ method: 'POST', url: `/api/v1/proposals/${r.target}/psbt`, headers: { authorization: `Bearer ${luis}`, 'content-type': r.req.contentType }, payload: r.req.payload });
        assert.equal(`${res.statusCode} ${(res.json() as { error?: { code: string } }).error?.code}`, `${r.status} ${r.code}`, `replayed: ${r.req.what}`);
      }

      tt.diagnostic(`${rounds} requests, outcomes ${JSON.stringify(Object.fromEntries([...seen].sort()))}, ${targets.length} proposals, ${((Date.now() - fuzzStarted) / 1000).toFixed(1)} s (CPU of this process ${((process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6).toFixed(1)} s)`);
      // the generator must reach every layer, or it proves little
      assert.ok((seen.get('200') ?? 0) > rounds / 50, `too few accepted uploads: ${JSON.stringify([...seen])}`);
      for (const c of ['INVALID_PSBT', 'PSBT_MISMATCH', 'INVALID_SIGNATURE', 'INVALID_ARGUMENT']) assert.ok((seen.get(c) ?? 0) > 0, `never saw ${c}: ${JSON.stringify([...seen])}`);

      // no proposal was corrupted
      for (const x of [...targets, ...others]) {
        const p = await g.spends.proposal(x.id);
        assert.equal(p?.state, 'approved', `proposal ${x.id}`);
        const recorded = await g.spends.partials(x.id);
        assert.equal(recorded.length, x.accepted, `proposal ${x.id}: one record per accepted upload, none per refused one`);
        assert.ok(recorded.length < MAX_STORED_UPLOADS, `proposal ${x.id}: under the cap`);
        const stored = base64.decode((p as { psbt: string }).psbt);
        const maps = readPsbtMaps(stored);
        const unknown = [maps.global, ...maps.inputs, ...maps.outputs].flat().filter((f) => (f.key[0] ?? 0) > 0x18 && f.key[0] !== 0xfb);
        assert.deepEqual(unknown.map((f) => f.key[0]), [], `proposal ${x.id}: no unknown or proprietary field got into its PSBT`);
        const original = sizes.get(x.id) ?? 0;
        // at most: every input with all three cosigners' partial signatures, or finalized (~260 bytes)
        const growth = maps.inputs.length * 3 * 110;
        assert.ok(stored.length <= original + growth, `proposal ${x.id}: its PSBT grew from ${original} to ${stored.length} bytes`);
        verifyPsbtInputs(stored, { descriptor: g.vault.descriptor as string, network: 'regtest', proposal: x.exported }); // throws if a bad signature got in
        const out = await app.inject({ url: `/api/v1/proposals/${x.id}/psbt`, headers: { authorization: `Bearer ${luis}` } });
        assert.equal(out.statusCode, 200, out.body);
        assert.ok(base64.decode((out.json() as { psbt: string }).psbt).length <= original + growth, `proposal ${x.id}: the PSBT sent to signers did not grow`);
      }

      // and a valid signed upload still completes each one, finalize works and the node takes it
      const txids: string[] = [];
      let capped = 0;
      for (const x of [...targets, ...others]) {
        const up = await app.inject({ method: 'POST', url: `/api/v1/proposals/${x.id}/psbt`, headers: { authorization: `Bearer ${luis}` }, payload: { psbt: x.combined } });
        assert.equal(up.statusCode, 200, up.body);
        assert.equal(up.json().complete, true, up.body);
        if (x.accepted + 1 === MAX_STORED_UPLOADS) {
          // its record is full now: one more upload is refused, and recorded nowhere
          const over = await app.inject({ method: 'POST', url: `/api/v1/proposals/${x.id}/psbt`, headers: { authorization: `Bearer ${luis}` }, payload: { psbt: x.combined } });
          assert.equal(`${over.statusCode} ${over.json().error?.code}`, '409 INVALID_STATE', over.body);
          assert.equal((await g.spends.partials(x.id)).length, MAX_STORED_UPLOADS);
          capped++;
        }
        const fin = await app.inject({ method: 'POST', url: `/api/v1/proposals/${x.id}/finalize`, headers: { authorization: `Bearer ${luis}` } });
        assert.equal(fin.statusCode, 200, fin.body);
        const bc = await app.inject({ method: 'POST', url: `/api/v1/proposals/${x.id}/broadcast`, headers: { authorization: `Bearer ${luis}` } });
        assert.equal(bc.statusCode, 200, bc.body);
        txids.push(bc.json().txid as string);
        assert.equal(bc.json().txid, Transaction.fromBuffer(x.rawTx).getId(), 'the very transaction its cosigners signed');
      }
      assert.equal(capped, targets.length - 1, 'every proposal the fuzz moved on from was filled to the cap');
      const pool = new Set((await g.node.chainSource().mempool()).map((m) => m.txid));
      for (const id of txids) assert.ok(pool.has(id), `transaction ${id} is in the node's mempool`);
      await g.node.mine(1);
      const left = new Set((await g.node.chainSource().mempool()).map((m) => m.txid));
      for (const id of txids) assert.ok(!left.has(id), `transaction ${id} was mined`);
      tt.diagnostic(`engine ${t.engine}: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
    } catch (e) {
      tt.diagnostic(`replay with FUZZ_SEED=${SEED}${process.env.FUZZ ? ` FUZZ=${process.env.FUZZ}` : ''}`);
      throw e;
    } finally {
      await app.close();
    }
  });
});
