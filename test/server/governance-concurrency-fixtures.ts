/**
 * Setup and invariant checks of the governance concurrency suite (governance-concurrency.test.ts):
 * one database per engine with two 2-of-3 vaults on the shared regtest node, an admin (ana), an
 * operator (luis) and 24 approvers (16 finance, 8 central-bank), each with an API token of the same
 * name, and the REAL server (buildServer) answering through `app.inject`.
 *
 * The server's SpendStore counts the governance transactions in flight (`maxInFlight`): a value
 * above 1 proves the injected requests really overlap (inject does not serialize them), so the
 * races the suite fires are real races up to the governance write lock.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app.ts';
import { SqlApiTokenStore } from '../../src/adapters/store/token-store.ts';
import { SqlPublicView } from '../../src/adapters/store/public-view-sql.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { loadPriceHistory } from '../../src/adapters/prices/csv-price-history.ts';
import { parseExtendedPrivateKey, signPsbtWithKey, type SoftwareKey } from '../../src/adapters/signers/software-signer.ts';
import type { RegtestNode } from '../../src/adapters/chain/regtest-node.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVault } from '../../src/app/sync-vault.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { verifyAuditLog } from '../../src/app/verify-audit-log.ts';
import type { GovernanceDeps } from '../../src/app/governance.ts';
import type { AuditEntry } from '../../src/core/audit/hash-chain.ts';
import type { ChainSource } from '../../src/core/chain/chain-source.ts';
import { LIVE_STATES } from '../../src/core/spend/state-machine.ts';
import type { GovernanceTx, SpendProposal, SpendState, SpendStore } from '../../src/core/spend/types.ts';
import type { Vault } from '../../src/core/vault/types.ts';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';
import { FOREIGN, policyDoc, testClock, type Clock } from '../spend/fixtures.ts';

export { FOREIGN };

/** 16 finance approvers and 8 central-bank approvers: 24 at once. */
export const APPROVERS: readonly { name: string; group: 'finance' | 'central-bank' }[] = [
  ...Array.from({ length: 16 }, (_, i) => ({ name: `fin-${String(i + 1).padStart(2, '0')}`, group: 'finance' as const })),
  ...Array.from({ length: 8 }, (_, i) => ({ name: `cb-${String(i + 1).padStart(2, '0')}`, group: 'central-bank' as const })),
];

/** Spends need 3 of finance AND 2 of central-bank (no signing delay); policy changes need 5 + 2. */
export const SPEND_REQUIREMENT = { all: [{ group: 'finance', count: 3 }, { group: 'central-bank', count: 2 }] };
export const CHANGE_REQUIREMENT = { all: [{ group: 'finance', count: 5 }, { group: 'central-bank', count: 2 }] };
export function concurrencyPolicy(version: number, spend: unknown = SPEND_REQUIREMENT): string {
  return policyDoc({ version, policyChange: CHANGE_REQUIREMENT, rules: [{ id: 'quorum', when: {}, then: { approval: spend } }] });
}

/** The server's SpendStore: counts governance transactions in flight. */
export class CountingSpendStore extends SqlSpendStore {
  inFlight = 0;
  maxInFlight = 0;
  override async atomically<T>(fn: (tx: GovernanceTx) => Promise<T>): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await super.atomically(fn);
    } finally {
      this.inFlight--;
    }
  }

  /** The per-request store the routes use (audit entries name the token) counts into this one. */
  override withAuditContext(via: Readonly<Record<string, string>>): SpendStore {
    const inner = super.withAuditContext(via);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the proxy's handler counts into this store
    const counter = this;
    return new Proxy(inner, {
      get(target, prop) {
        if (prop === 'atomically') {
          return async <T>(fn: (tx: GovernanceTx) => Promise<T>): Promise<T> => {
            counter.inFlight++;
            counter.maxInFlight = Math.max(counter.maxInFlight, counter.inFlight);
            try {
              return await target.atomically(fn);
            } finally {
              counter.inFlight--;
            }
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
}

export interface Reply {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
  readonly body: string;
}

export interface Env {
  readonly db: Database;
  readonly node: RegtestNode;
  readonly chain: ChainSource;
  readonly clock: Clock;
  readonly spends: CountingSpendStore;
  readonly vaults: SqlVaultStore;
  /** The use cases' deps (for what HTTP cannot do: coin control). */
  readonly deps: GovernanceDeps;
  readonly app: FastifyInstance;
  /** Vault A: ten coins of 1 BTC. Vault B: six of 0.2 BTC and one of 2 BTC. */
  readonly vaultA: Vault;
  readonly vaultB: Vault;
  readonly keysA: readonly SoftwareKey[];
  /** Every reply with a status ≥ 500 seen by `call`. */
  readonly serverErrors: string[];
  call(as: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<Reply>;
  sync(): Promise<void>;
}

let seed = 150;

export async function setupConcurrency(node: RegtestNode, db: Database): Promise<Env> {
  await node.activateSegwit();
  const vaults = new SqlVaultStore(db);
  const spends = new CountingSpendStore(db);
  const clock = testClock();
  const chain = node.chainSource();
  const deps: GovernanceDeps = { spends, vaults, now: clock.now, chain, network: 'regtest' };
  const makeVault = async (name: string) => {
    const signers = [cosigner(++seed), cosigner(++seed), cosigner(++seed)];
    const vault = await addVault({ store: vaults }, { name: `${name}-${seed}`, network: 'regtest', descriptor: multisigDescriptor(2, signers), birthday: { height: node.height() }, gapLimit: 40, now: '2026-01-01T00:00:00Z' });
    return { vault, keys: signers.map((s) => parseExtendedPrivateKey(s.root.toBase58(), 'test key')) };
  };
  const a = await makeVault('conc-a');
  const b = await makeVault('conc-b');
  const receive = async (v: Vault, index: number): Promise<string> => {
    const x = (await vaults.addresses(v.id)).find((y) => y.branch === 0 && y.index === index);
    if (!x) throw new Error(`address 0/${index} of ${v.name} not derived`);
    return x.address;
  };
  for (let i = 0; i < 10; i++) await node.fund(await receive(a.vault, i), 100_000_000n);
  for (let i = 0; i < 6; i++) await node.fund(await receive(b.vault, i), 20_000_000n);
  await node.fund(await receive(b.vault, 6), 200_000_000n);
  await node.mine(1);
  const sync = async (): Promise<void> => {
    for (const v of [a.vault, b.vault]) await syncVault({ chain: node.chainSource(), store: vaults }, v);
  };
  await sync();

  await addMember(deps, { actor: undefined, name: 'ana', roles: ['admin'], groups: [] });
  await addMember(deps, { actor: 'ana', name: 'luis', roles: ['operator'], groups: [] });
  for (const p of APPROVERS) await addMember(deps, { actor: 'ana', name: p.name, roles: ['approver'], groups: [p.group] });
  await proposePolicy(deps, { actor: 'ana', document: concurrencyPolicy(1) });

  const tokens = new SqlApiTokenStore(db, { clock: { now: clock.now } });
  const secrets = new Map<string, string>();
  secrets.set('ana', (await tokens.create({ name: 'ana', role: 'admin', memberId: 'ana' })).token); // admins read the audit log too
  secrets.set('luis', (await tokens.create({ name: 'luis', role: 'operator', memberId: 'luis' })).token);
  for (const p of APPROVERS) secrets.set(p.name, (await tokens.create({ name: p.name, role: 'approver', memberId: p.name })).token);

  const app = await buildServer({
    publicView: new SqlPublicView(db, 'regtest'), publicCacheMs: 0, prices: loadPriceHistory(), tokens, vaults,
    governance: { spends, chain, network: 'regtest' }, clock: { now: clock.now }, webRoot: null, rateLimit: null,
  });
  const serverErrors: string[] = [];
  const call = async (as: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<Reply> => {
    const token = secrets.get(as);
    if (!token) throw new Error(`no token for ${as}`);
    const res = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    if (res.statusCode >= 500) serverErrors.push(`${method} ${url} as ${as}: ${res.statusCode} ${res.body}`);
    let json: unknown;
    try {
      json = res.json();
    } catch {
      json = null;
    }
    return { status: res.statusCode, json, body: res.body };
  };
  return { db, node, chain, clock, spends, vaults, deps, app, vaultA: a.vault, vaultB: b.vault, keysA: a.keys, serverErrors, call, sync };
}

// ---------------------------------------------------------------------------------------------
// Steps done one at a time (to bring a proposal to the state a race starts from)

export function pay(vault: Vault, sats: bigint, memo?: string): Record<string, unknown> {
  return { vault: vault.name, payments: [{ address: FOREIGN, sats: sats.toString() }], feeRateSatPerVb: '2', ...(memo ? { memo } : {}) };
}

export async function propose(env: Env, vault: Vault, sats: bigint): Promise<number> {
  const r = await env.call('luis', 'POST', '/proposals', pay(vault, sats));
  assert.equal(r.status, 201, r.body);
  return r.json.proposal.id as number;
}

/** Finance approvers, then central-bank ones, one after the other until the quorum (of any version here). */
export async function approveQuorum(env: Env, id: number): Promise<void> {
  for (const name of ['fin-01', 'fin-02', 'fin-03', 'fin-04', 'fin-05', 'cb-01', 'cb-02']) {
    const r = await env.call(name, 'POST', `/proposals/${id}/approve`);
    assert.equal(r.status, 200, r.body);
    if (r.json.proposal.state === 'approved') return;
  }
  assert.fail(`proposal ${id} is not approved after 5 of finance and 2 of central-bank`);
}

/** Download the PSBT, have cosigners 0 and 2 of vault A sign it separately, upload both. */
export async function signFully(env: Env, id: number): Promise<void> {
  const dl = await env.call('luis', 'GET', `/proposals/${id}/psbt`);
  assert.equal(dl.status, 200, dl.body);
  for (const k of [0, 2]) {
    const key = env.keysA[k];
    if (!key) throw new Error('no key');
    const up = await env.call('luis', 'POST', `/proposals/${id}/psbt`, { psbt: signPsbtWithKey(dl.json.psbt as string, key).psbt });
    assert.equal(up.status, 200, up.body);
  }
}

// ---------------------------------------------------------------------------------------------
// Races and their tallies

export interface Tally {
  readonly replies: readonly Reply[];
  count(status: number): number;
  /** "200×1 409:INVALID_STATE×19" */
  readonly summary: string;
}

export function tally(replies: readonly Reply[]): Tally {
  const by = new Map<string, number>();
  for (const r of replies) {
    const key = r.status < 300 ? String(r.status) : `${r.status}:${String(r.json?.error?.code)}`;
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  return {
    replies,
    count: (s) => replies.filter((r) => r.status === s).length,
    summary: [...by].sort().map(([k, n]) => `${k}×${n}`).join(' '),
  };
}

/** Every reply's status is one of `allowed` (codes like 409:INVALID_STATE or bare statuses like 200). */
export function assertOnly(t: Tally, allowed: readonly string[], what: string): void {
  for (const r of t.replies) {
    const key = r.status < 300 ? String(r.status) : `${r.status}:${String(r.json?.error?.code)}`;
    assert.ok(allowed.includes(key), `${what}: unexpected reply ${key} (${r.body.slice(0, 300)}); all: ${t.summary}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Invariants checked after every scenario

/** What a proposal's state must be after each state-changing audit action. */
const STATE_AFTER: Readonly<Record<string, SpendState>> = {
  'spend.finalize': 'signed',
  'spend.broadcast.start': 'broadcasting',
  'spend.broadcast': 'broadcast',
  'spend.broadcast.rejected': 'signed',
  'spend.cancel': 'cancelled',
  'spend.confirmed': 'confirmed',
  'spend.seen': 'broadcast',
  'spend.replaced': 'replaced',
  'spend.conflicted': 'conflicted',
  'spend.broadcast.not-found': 'signed',
  'spend.reorged': 'broadcast',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const detailsOf = (e: AuditEntry): Record<string, any> => (typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : {});

/** Each proposal's state, replayed from the audit log (creation entries are matched by unsigned txid). */
export async function statesFromLog(env: Env): Promise<{ states: Map<number, SpendState>; log: AuditEntry[] }> {
  const log = await env.spends.auditLog();
  const proposals = await env.spends.proposals();
  const byUnsigned = new Map<string, number>(proposals.map((p) => [p.unsignedTxid, p.id]));
  const states = new Map<number, SpendState>();
  for (const e of log) {
    const d = detailsOf(e);
    if (e.object === 'proposal:new') {
      const id = byUnsigned.get(String(d.unsignedTxid));
      assert.ok(id !== undefined, `audit #${e.seq} ${e.action} names unsigned txid ${String(d.unsignedTxid)}, which no stored proposal has`);
      assert.ok(!states.has(id), `proposal ${id} is created twice in the audit log (#${e.seq})`);
      states.set(id, d.state as SpendState);
      continue;
    }
    const m = /^proposal:(\d+)$/.exec(e.object);
    if (!m) continue;
    const id = Number(m[1]);
    const to = e.action === 'spend.approve' ? (d.quorum === true ? 'approved' : undefined) : STATE_AFTER[e.action];
    if (to !== undefined) states.set(id, to);
  }
  return { states, log };
}

/**
 * After every scenario: no 5xx so far; the audit log verifies (over HTTP and directly); every
 * proposal's state is what its last state-changing audit entry says; the coins held are exactly
 * the inputs of the live proposals and no coin is in two live proposals.
 */
export async function assertInvariants(env: Env): Promise<void> {
  assert.deepEqual(env.serverErrors, [], 'no reply was a 5xx');
  const v = await env.call('ana', 'GET', '/audit/verify');
  assert.equal(v.status, 200, v.body);
  assert.equal(v.json.ok, true, v.body);
  const direct = await verifyAuditLog({ spends: env.spends });
  assert.equal(direct.ok, true, JSON.stringify(direct.problems));
  assert.equal(v.json.entries, direct.entries);

  const { states } = await statesFromLog(env);
  const proposals = await env.spends.proposals();
  for (const p of proposals) assert.equal(p.state, states.get(p.id), `proposal ${p.id}: stored ${p.state}, the audit log says ${String(states.get(p.id))}`);
  assert.equal(states.size, proposals.length, 'every proposal, and only they, appear in the audit log');

  // the same states over HTTP
  const listed = await env.call('luis', 'GET', '/proposals');
  assert.equal(listed.status, 200, listed.body);
  const wire = new Map((listed.json.proposals as { id: number; state: string; unsignedTxid: string }[]).map((p) => [p.id, p]));
  for (const p of proposals) {
    assert.equal(wire.get(p.id)?.state, p.state);
    assert.equal(wire.get(p.id)?.unsignedTxid, p.unsignedTxid);
  }

  // A proposal and the ones replacing it (bump, cancel by replacement) are one family and share
  // coins by design; between families no live coin is shared.
  const byId = new Map<number, SpendProposal>(proposals.map((p) => [p.id, p]));
  const familyOf = (id: number): number => {
    let p = byId.get(id);
    for (let hops = 0; p && p.replaces !== null && hops < 1000; hops++) p = byId.get(p.replaces);
    assert.ok(p, `proposal ${id}'s family`);
    return p.id;
  };
  for (const vault of [env.vaultA, env.vaultB]) {
    const live = proposals.filter((p) => p.vaultId === vault.id && (LIVE_STATES as readonly string[]).includes(p.state));
    const owner = new Map<string, { family: number; proposals: number[] }>();
    for (const p of live) {
      const family = familyOf(p.id);
      for (const i of p.inputs) {
        const k = `${i.txid}:${i.vout}`;
        const o = owner.get(k);
        assert.ok(!o || o.family === family, `coin ${k} is in two live proposals of different families: ${String(o?.proposals)} and ${p.id}`);
        owner.set(k, { family, proposals: [...(o?.proposals ?? []), p.id] });
      }
    }
    const holds = await env.spends.coinHolds(vault.id);
    const held = new Map(holds.map((h) => [`${h.txid}:${h.vout}`, h]));
    assert.equal(held.size, holds.length, 'one hold per coin');
    assert.deepEqual([...held.keys()].sort(), [...owner.keys()].sort(), `${vault.name}: the coins held are exactly the live proposals' inputs`);
    for (const [k, o] of owner) {
      assert.equal(held.get(k)?.familyId, o.family, `coin ${k} is held for family ${o.family}`);
      assert.equal(familyOf(held.get(k)?.proposalId ?? -1), o.family, `coin ${k} is held by a member of family ${o.family}`);
    }
  }
}
