// Proof of reserves for a 2-of-3 wsh(sortedmulti) vault on the embedded regtest node: built as a
// BIP-322 proof of funds, signed by two software signers separately, combined, finalized, and
// verified against the node (RPC), against the Esplora adapter and through the CLI with no
// database. Every tampered field fails with the field named; a UTXO spent at or before the stated
// block fails; the proof transaction cannot be broadcast. One node for the whole file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Block, Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { useRegtestNode } from '../helpers/regtest.ts';
import { runCli } from '../helpers/cli.ts';
import { RpcError, type JsonRpcClient } from '../../src/adapters/chain/rpc-client.ts';
import { createPsbt, finalizeVerified } from '../../src/core/bitcoin/psbt.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';
import { combinePsbts } from '../../src/core/bitcoin/psbt.ts';
import { parseProofFile, serializeProofFile, type ProofFile } from '../../src/core/por/proof-file.ts';
import { verifyProof, type ProofField, type ProofVerification } from '../../src/core/por/verify.ts';
import { rpcProofChainView } from '../../src/adapters/chain/por-rpc-view.ts';
import { esploraProofChainView } from '../../src/adapters/chain/por-esplora-view.ts';
import { A, B, C, WSH_2OF3, blockAt, fundVault, rpcOf, signedProof, type FundedUtxo, type SignedProof } from './por-fixture.ts';

const regtest = useRegtestNode();
let rpc: JsonRpcClient;
let utxoA: FundedUtxo;
let utxoB: FundedUtxo;
let utxoC: FundedUtxo;
let late: FundedUtxo;
let H: { height: number; hash: string };
let proof: SignedProof;
let dir: string;

const MESSAGE = 'Reserva de la Republica: prueba de fondos';
const CHALLENGE = 'imf-audit-2026-12-q1w2e3r4t5y6';

function rpcView() {
  const node = regtest.node();
  return rpcProofChainView({ url: node.rpcUrl, user: node.rpcUser, password: node.rpcPassword });
}

async function verifyRpc(file: ProofFile): Promise<ProofVerification> {
  const view = rpcView();
  try {
    return await verifyProof(file, view);
  } finally {
    view.close();
  }
}

/** Spend a vault UTXO (2-of-3) back to the harness wallet and confirm it; returns the block height. */
async function spendVaultUtxo(u: FundedUtxo): Promise<number> {
  const node = regtest.node();
  const psbt = createPsbt({ network: 'regtest', descriptor: WSH_2OF3, inputs: [u], outputs: [{ address: node.walletAddress, value: u.value - 10_000n }] });
  const signed = [A, B].map((s) => signPsbtWithKey(psbt, parseExtendedPrivateKey(s.root.toBase58(), 'k')).psbt);
  const final = finalizeVerified(combinePsbts(signed), { descriptor: WSH_2OF3, network: 'regtest' });
  const r = await node.submitTx(hex.decode(final.hex));
  assert.equal(r.accepted, true, `the spend is accepted: ${JSON.stringify(r)}`);
  await node.mine(1);
  return node.height();
}

before(async () => {
  const node = await regtest.ready();
  rpc = rpcOf(node);
  await node.activateSegwit(); // bcoin accepts witness spends (the vault spend below) from height 432
  utxoA = await fundVault(node, rpc, WSH_2OF3, false, 1, 100_000_000n);
  utxoB = await fundVault(node, rpc, WSH_2OF3, false, 2, 50_000_000n);
  utxoC = await fundVault(node, rpc, WSH_2OF3, true, 0, 25_000_000n);
  H = await blockAt(rpc, node.height());
  late = await fundVault(node, rpc, WSH_2OF3, false, 3, 10_000_000n); // created after H
  await node.mine(2);
  proof = signedProof({ message: MESSAGE, challenge: CHALLENGE, block: H, utxos: [utxoA, utxoB, utxoC], signers: [A, B], descriptors: [WSH_2OF3] });
  dir = mkdtempSync(join(tmpdir(), 'soberana-por-'));
});

after(() => {
  rpc?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a 2-of-3 proof signed by two signers separately, combined and finalized, verifies against the node: every UTXO proven at the block', async () => {
  assert.equal(proof.file.total, 175_000_000n);
  const tx = Transaction.fromHex(proof.txHex);
  assert.equal(tx.ins.length, 4, 'the commitment input and the three UTXOs');
  assert.equal(tx.version, 0);
  const r = await verifyRpc(proof.file);
  assert.deepEqual(r.failures, []);
  assert.equal(r.ok, true);
  assert.equal(r.provenTotal, 175_000_000n);
  assert.equal(r.unspentNowTotal, 175_000_000n);
  assert.ok(r.utxos.every((u) => u.proven && u.unspentNow === true));
});

test('the proof file round-trips through its JSON text and parses strictly', () => {
  const text = serializeProofFile(proof.file);
  assert.match(text, /"total": "175000000"/);
  assert.deepEqual(parseProofFile(text), proof.file);
});

test('the signed proof transaction also verifies under bcoin\'s consensus interpreter (an independent implementation)', () => {
  const bcoin = createRequire(import.meta.url)('bcoin') as {
    TX: { fromRaw(raw: Buffer): { verifyInput(index: number, coin: unknown, flags: number): boolean } };
    Coin: { fromOptions(o: { value: number; script: unknown }): unknown };
    Script: { fromRaw(raw: Buffer): unknown; flags: { STANDARD_VERIFY_FLAGS: number } };
  };
  const btx = bcoin.TX.fromRaw(Buffer.from(proof.txHex, 'hex'));
  const spent = [{ script: proof.built.messageScript, value: 0 }, ...proof.file.utxos.map((u) => ({ script: u.script, value: Number(u.amount) }))];
  spent.forEach((s, i) => {
    const coin = bcoin.Coin.fromOptions({ value: s.value, script: bcoin.Script.fromRaw(Buffer.from(s.script, 'hex')) });
    assert.equal(btx.verifyInput(i, coin, bcoin.Script.flags.STANDARD_VERIFY_FLAGS), true, `input ${i}`);
  });
});

/** Change a file as JSON, keeping it parseable. */
function tampered(edit: (j: Record<string, unknown> & { utxos: Record<string, unknown>[]; transactions: Record<string, unknown>[]; block: Record<string, unknown> }) => void): ProofFile {
  const j = JSON.parse(serializeProofFile(proof.file)) as Parameters<typeof edit>[0];
  edit(j);
  return parseProofFile(JSON.stringify(j));
}

function flipSignatureByte(txHex: string, input: number): string {
  const tx = Transaction.fromHex(txHex);
  const w = tx.ins[input]?.witness ?? [];
  // wsh multisig witness: <empty> <sig> <sig> <witnessScript>; flip a byte inside the first signature's S
  const sig = Uint8Array.from(w[1] ?? []);
  sig[sig.length - 5] = (sig[sig.length - 5] ?? 0) ^ 0x01;
  tx.setWitness(input, [w[0] ?? new Uint8Array(), sig, ...w.slice(2)]);
  return tx.toHex();
}

async function assertFailsWith(file: ProofFile, field: ProofField, names: RegExp): Promise<void> {
  const r = await verifyRpc(file);
  assert.equal(r.ok, false, `a proof with a tampered ${field} must not verify`);
  const f = r.failures.find((x) => x.field === field);
  assert.ok(f, `a failure names the field ${field}; got ${JSON.stringify(r.failures)}`);
  assert.match(f.message, names);
}

test('every tampered field fails with the field named: amount, script, outpoint, signature byte, message, block hash', async () => {
  const key0 = `${utxoA.txid}:${utxoA.vout}`;
  await assertFailsWith(tampered((j) => { j.utxos[0]!.amount = '100000001'; j.total = '175000001'; }), 'amount', new RegExp(`^amount: input 1 of transaction 0 \\(${key0}\\): the file says 100000001 sats, the chain says 100000000 sats$`));
  await assertFailsWith(tampered((j) => { j.utxos[1]!.script = `0020${'00'.repeat(32)}`; }), 'script', new RegExp(`^script: input 2 of transaction 0 \\(${utxoB.txid}:${utxoB.vout}\\)`));
  await assertFailsWith(tampered((j) => { j.utxos[0]!.vout = utxoA.vout + 7; }), 'outpoint', new RegExp(`${utxoA.txid}:${utxoA.vout}`));
  await assertFailsWith(tampered((j) => { j.transactions[0]!.hex = flipSignatureByte(proof.txHex, 2); }), 'signature', new RegExp(`^signature: input 2 of transaction 0 \\(${utxoB.txid}:${utxoB.vout}\\) does not verify`));
  await assertFailsWith(tampered((j) => { j.transactions[0]!.hex = flipSignatureByte(proof.txHex, 0); }), 'signature', /^signature: input 0 of transaction 0 \(the message commitment\) does not verify/);
  await assertFailsWith(tampered((j) => { j.message = 'Reserva de la Republica: prueba de fondos (revisada)'; }), 'message', /^message: transaction 0's input 0 does not commit to this message and challenge/);
  await assertFailsWith(tampered((j) => { j.challenge = 'another-challenge-0123456789'; }), 'message', /does not commit to this message and challenge/);
  await assertFailsWith(tampered((j) => { j.block.hash = '11'.repeat(32); }), 'block.hash', new RegExp(`^block hash: the file says block ${H.height} is 1111.*, the chain has ${H.hash}$`));
  await assertFailsWith(tampered((j) => { j.block.height = 10_000_000; }), 'block.height', /above the chain's tip/);
  await assertFailsWith(tampered((j) => { j.network = 'test'; }), 'network', /the proof is for test/);
});

test('a tampered total or a file that is not a proof is refused by the parser (INVALID_PROOF), naming the field', () => {
  const j = JSON.parse(serializeProofFile(proof.file)) as Record<string, unknown>;
  assert.throws(() => parseProofFile(JSON.stringify({ ...j, total: '175000001' })), { code: 'INVALID_PROOF', message: /total: is 175000001 sats but the UTXOs add up to 175000000 sats/ });
  assert.throws(() => parseProofFile(JSON.stringify({ ...j, total: 175000000 })), { code: 'INVALID_PROOF', message: /total: expected a whole number of sats written as a string/ });
  assert.throws(() => parseProofFile(JSON.stringify({ ...j, extra: 1 })), { code: 'INVALID_PROOF', message: /unknown key "extra"/ });
  assert.throws(() => parseProofFile(JSON.stringify({ ...j, network: 'litecoin' })), { code: 'INVALID_PROOF', message: /network: expected one of/ });
  assert.throws(() => parseProofFile(JSON.stringify({ ...j, transactions: [{ hex: 'zz', messageScript: '00' }] })), { code: 'INVALID_PROOF', message: /transactions\[0\]\.hex: expected lowercase hex/ });
  assert.throws(() => parseProofFile(JSON.stringify({ ...j, message: 'line one\nforged line' })), { code: 'INVALID_PROOF', message: /message: .*control, line-break or invisible/ });
  assert.throws(() => parseProofFile('x'.repeat(8 * 1024 * 1024 + 1)), { code: 'INVALID_PROOF', message: /larger than 8 MiB/ });
  assert.throws(() => parseProofFile('[1,2]'), { code: 'INVALID_PROOF', message: /expected a JSON object/ });
  const oneUtxo = (j.utxos as { amount: string }[]).slice(0, 1);
  assert.throws(() => parseProofFile(JSON.stringify({ ...j, utxos: oneUtxo, total: oneUtxo[0]?.amount })), { code: 'INVALID_PROOF', message: /transactions\[0\]\.hex: the transactions have more inputs than the UTXO list/ }, 'the verifier\'s work is bounded by the list');
});

test('a UTXO created after the stated block, or spent at or before it, fails naming the UTXO; a spend after the block still proves it, and is not counted as unspent now', async () => {
  // a UTXO created after H, proven "at H"
  const withLate = signedProof({ message: MESSAGE, block: H, utxos: [utxoA, late], signers: [A, C], descriptors: [WSH_2OF3] });
  const r1 = await verifyRpc(withLate.file);
  assert.equal(r1.ok, false);
  const f1 = r1.failures.find((f) => f.field === 'outpoint');
  assert.match(f1?.message ?? '', new RegExp(`^outpoint: input 2 of transaction 0 \\(${late.txid}:${late.vout}\\): created in block \\d+, after the proof's block ${H.height}$`));
  assert.equal(r1.provenTotal, utxoA.value, 'the other UTXO is still proven');

  // C is spent after H: the proof at H still holds, C no longer counts as unspent now
  const spentAt = await spendVaultUtxo(utxoC);
  const r2 = await verifyRpc(proof.file);
  assert.deepEqual(r2.failures, []);
  assert.equal(r2.provenTotal, 175_000_000n);
  assert.equal(r2.unspentNowTotal, 150_000_000n);
  const c = r2.utxos.find((u) => u.txid === utxoC.txid && u.vout === utxoC.vout);
  assert.equal(c?.unspentNow, false);
  assert.equal(c?.spentHeight, spentAt);

  // a proof at a block where C is already spent fails, naming C
  const node = regtest.node();
  await node.mine(1);
  const H2 = await blockAt(rpc, node.height());
  const stale = signedProof({ message: MESSAGE, block: H2, utxos: [utxoA, utxoC], signers: [B, C], descriptors: [WSH_2OF3] });
  const r3 = await verifyRpc(stale.file);
  assert.equal(r3.ok, false);
  const f3 = r3.failures.find((f) => f.field === 'spent');
  assert.match(f3?.message ?? '', new RegExp(`^spent: input 2 of transaction 0 \\(${utxoC.txid}:${utxoC.vout}\\): already spent at or before the proof's block ${H2.height}$`), 'the node view only searches above the block, so it says "at or before"');
  assert.equal(r3.provenTotal, utxoA.value);
});

test('the proof transaction cannot be broadcast: the node rejects it', async () => {
  const node = regtest.node();
  const r = await node.submitTx(hex.decode(proof.txHex));
  assert.equal(r.accepted, false);
  assert.match(r.reason ?? '', /version|missingorspent/, `refused for its version 0 or its missing input 0, not for another reason: ${r.reason ?? ''}`);
  // even made standard (version 2), input 0 spends an output that does not exist
  const v2 = Transaction.fromHex(proof.txHex);
  v2.version = 2;
  const r2 = await node.submitTx(v2.toBuffer());
  assert.deepEqual(r2, { accepted: false, reason: 'bad-txns-inputs-missingorspent' });
  await assert.rejects(rpc.call('sendrawtransaction', [proof.txHex]), (e: unknown) => e instanceof RpcError && e.code < 0);
  const txid = Transaction.fromHex(proof.txHex).getId();
  await assert.rejects(rpc.call('getrawtransaction', [txid, false]), RpcError, 'the node does not hold it');
});

test('soberana por verify works with no database and no configuration, against the node: proven total and still-unspent total; a tampered file exits 12 naming the input', async () => {
  const node = regtest.node();
  const file = join(dir, 'reserves.proof.json');
  writeFileSync(file, serializeProofFile(proof.file));
  const env = { SOBERANA_DB: '', SOBERANA_CONFIG: '', SOBERANA_RPC_URL: '', SOBERANA_NETWORK: '' };
  const ok = await runCli(['por', 'verify', file, '--node', node.rpcUrl, '--rpc-user', node.rpcUser, '--rpc-password', node.rpcPassword], { cwd: dir, env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^Proof of reserves: VERIFIED$/m);
  assert.match(ok.stdout, new RegExp(`^proven total at block ${H.height}: 1\\.75000000 BTC$`, 'm'));
  assert.match(ok.stdout, /^still unspent now \(tip \d+\): 1\.50000000 BTC$/m);
  const json = await runCli(['por', 'verify', file, '--node', node.rpcUrl, '--rpc-user', node.rpcUser, '--rpc-password', node.rpcPassword, '--json'], { cwd: dir, env });
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout) as { ok: boolean; provenTotal: string; unspentNowTotal: string };
  assert.deepEqual([out.ok, out.provenTotal, out.unspentNowTotal], [true, '175000000', '150000000']);

  const bad = join(dir, 'tampered.proof.json');
  const j = JSON.parse(serializeProofFile(proof.file)) as { utxos: { amount: string }[]; total: string };
  j.utxos[1]!.amount = '50000001';
  j.total = '175000001';
  writeFileSync(bad, JSON.stringify(j));
  const no = await runCli(['por', 'verify', bad, '--node', node.rpcUrl, '--rpc-user', node.rpcUser, '--rpc-password', node.rpcPassword], { cwd: dir, env });
  assert.equal(no.code, 12);
  assert.match(no.stdout, /^Proof of reserves: NOT VERIFIED$/m);
  assert.equal(no.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  assert.match(no.stderr, new RegExp(`^error: the proof does not verify: amount: input 2 of transaction 0 \\(${utxoB.txid}:${utxoB.vout}\\): the file says 50000001 sats, the chain says 50000000 sats`));

  const missing = await runCli(['por', 'verify', file], { cwd: dir, env });
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /--node URL/);
});

/**
 * A minimal Esplora API (the endpoints the proof view reads) served from the same regtest node's
 * data over its RPC: there is no Esplora server in this environment, so this stands in for one.
 * Outspends are found by scanning the blocks after the output's block, as electrs indexes them.
 */
async function startEsploraFromNode(): Promise<{ url: string; server: Server }> {
  const call = (m: string, p: unknown[]): Promise<unknown> => rpc.call(m, p);
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '').replace(/^\/api\//, '');
      const send = (status: number, body: string): void => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(body);
      };
      try {
        let m: RegExpMatchArray | null;
        if (path === 'blocks/tip/height') return send(200, String(await call('getblockcount', [])));
        if ((m = /^block-height\/(\d+)$/.exec(path))) {
          const tip = (await call('getblockcount', [])) as number;
          if (Number(m[1]) > tip) return send(404, 'Block not found');
          return send(200, (await call('getblockhash', [Number(m[1])])) as string);
        }
        if ((m = /^tx\/([0-9a-f]{64})\/(hex|status)$/.exec(path))) {
          const v = (await call('getrawtransaction', [m[1], true]).catch(() => null)) as { hex: string; blockhash?: string } | null;
          if (!v) return send(404, 'Transaction not found');
          if (m[2] === 'hex') return send(200, v.hex);
          if (!v.blockhash) return send(200, JSON.stringify({ confirmed: false }));
          const hdr = (await call('getblockheader', [v.blockhash, true])) as { height: number };
          return send(200, JSON.stringify({ confirmed: true, block_height: hdr.height, block_hash: v.blockhash }));
        }
        if ((m = /^tx\/([0-9a-f]{64})\/outspend\/(\d+)$/.exec(path))) {
          const [txid, vout] = [m[1] as string, Number(m[2])];
          const v = (await call('getrawtransaction', [txid, true]).catch(() => null)) as { blockhash?: string } | null;
          if (!v?.blockhash) return send(404, 'Transaction not found');
          if ((await call('gettxout', [txid, vout, false])) !== null) return send(200, JSON.stringify({ spent: false }));
          const from = ((await call('getblockheader', [v.blockhash, true])) as { height: number }).height;
          const tip = (await call('getblockcount', [])) as number;
          for (let h = from; h <= tip; h++) {
            const block = Block.fromHex((await call('getblock', [await call('getblockhash', [h]), false])) as string);
            for (const tx of block.transactions ?? []) {
              const i = tx.ins.findIndex((x) => hex.encode(Uint8Array.from(x.hash).reverse()) === txid && x.index === vout);
              if (i >= 0) return send(200, JSON.stringify({ spent: true, txid: tx.getId(), vin: i, status: { confirmed: true, block_height: h } }));
            }
          }
          return send(200, JSON.stringify({ spent: false }));
        }
        return send(404, 'not found');
      } catch (e) {
        return send(500, e instanceof Error ? e.message : 'error');
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${addr.port}/api/`, server };
}

test('the Esplora adapter gives the same verdict as the node (served from the same chain), in the library and through the CLI', async () => {
  const { url, server } = await startEsploraFromNode();
  try {
    const view = esploraProofChainView({ url, retries: 0 });
    const r = await verifyProof(proof.file, view);
    view.close();
    assert.deepEqual(r.failures, []);
    assert.equal(r.provenTotal, 175_000_000n);
    assert.equal(r.unspentNowTotal, 150_000_000n);
    const viaRpc = await verifyRpc(proof.file);
    assert.deepEqual(r.utxos, viaRpc.utxos, 'the same UTXOs, amounts, spends as the node view');

    const bad = await verifyProof(tampered((j) => { j.utxos[2]!.script = `0020${'11'.repeat(32)}`; }), esploraProofChainView({ url, retries: 0 }));
    assert.ok(bad.failures.some((f) => f.field === 'script' && f.outpoint === `${utxoC.txid}:${utxoC.vout}`));

    const file = join(dir, 'esplora.proof.json');
    writeFileSync(file, serializeProofFile(proof.file));
    const cli = await runCli(['por', 'verify', file, '--esplora', url], { cwd: dir, env: { SOBERANA_DB: '', SOBERANA_CONFIG: '' } });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /proven total at block \d+: 1\.75000000 BTC/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
