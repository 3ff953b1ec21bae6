// Operator reads over the vault store: the same numbers as the public view and as
// `soberana balance`, unknown vaults are 404 VAULT_NOT_FOUND, filters work.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApi, type TestApi } from '../helpers/api-server.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi();
});
after(async () => {
  await api.close();
});

const get = async (url: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await api.app.inject({ url: `/api/v1${url}`, headers: { authorization: `Bearer ${api.token.auditor}` } });
  return { status: res.statusCode, body: res.json() };
};

test('balance totals equal the reference computation of the same reserve', async () => {
  const { status, body } = await get('/balance');
  assert.equal(status, 200);
  const ref = await api.reference.summary();
  const total = body.total as { confirmed: { sats: string; btc: string }; unconfirmed: { sats: string } };
  assert.equal(total.confirmed.sats, ref.confirmedSats.toString());
  assert.equal(total.unconfirmed.sats, ref.unconfirmedSats.toString());
  const perVault = body.vaults as Array<{ id: string; confirmed: { sats: string } }>;
  assert.deepEqual(perVault.map((v) => [v.id, v.confirmed.sats]), ref.vaults.map((v) => [v.id, v.confirmedSats.toString()]));
});

test('a vault by id or by name, with keys and holders; unknown is 404', async () => {
  const byId = await get('/vaults/el-salvador');
  const byName = await get(`/vaults/${encodeURIComponent('El Salvador reserve')}`);
  assert.equal(byId.status, 200);
  assert.deepEqual(byName.body, byId.body);
  assert.equal((byId.body.keys as unknown[]).length, 3);
  const missing = await get('/vaults/atlantis');
  assert.equal(missing.status, 404);
  assert.equal((missing.body.error as { code: string }).code, 'VAULT_NOT_FOUND');
});

test('history is newest first and honours the limit; utxos and addresses add up to the balance', async () => {
  const h = await get('/vaults/el-salvador/history?limit=5');
  const txs = h.body.transactions as Array<{ height: number | null; net: string }>;
  assert.equal(txs.length, 5);
  assert.equal(txs[0]?.height, null, 'the unconfirmed transaction comes first');
  const bal = (await get('/vaults/el-salvador')).body as { confirmed: { sats: string }; unconfirmed: { sats: string } };
  const utxos = (await get('/vaults/el-salvador/utxos')).body.utxos as Array<{ value: string }>;
  const sum = utxos.reduce((s, u) => s + BigInt(u.value), 0n);
  assert.equal(sum, BigInt(bal.confirmed.sats) + BigInt(bal.unconfirmed.sats));
  const used = (await get('/vaults/el-salvador/addresses?used=true')).body.addresses as Array<{ used: boolean; balance: string }>;
  assert.ok(used.length > 0 && used.every((a) => a.used));
  const change = (await get('/vaults/el-salvador/addresses?branch=change')).body.addresses as Array<{ branch: number }>;
  assert.ok(change.length > 0 && change.every((a) => a.branch === 1));
  assert.equal((await get('/vaults/el-salvador/history?limit=0')).status, 400);
  assert.equal((await get('/vaults/el-salvador/addresses?branch=sideways')).status, 400);
});
