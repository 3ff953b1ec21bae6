/**
 * Spend governance in SQL (SQLite and PostgreSQL; tables of migrations 0003 and 0005). Every
 * mutation and its audit entry commit in one transaction (`#mutate`) that holds the governance
 * write lock (`inWriteTransaction`), so the log and the state never disagree and two writers never
 * interleave. `atomically` runs a whole use case (its reads, checks and writes) in one such
 * transaction.
 */
import type { Kysely, Selectable, Updateable } from 'kysely';
import { DomainError } from '../../core/errors.ts';
import { proposalId, txid, vaultId, type ProposalId } from '../../core/ids.ts';
import { toJson } from '../../core/json.ts';
import { sats } from '../../core/money.ts';
import { parsePolicyJson } from '../../core/policy/parse-policy.ts';
import { parsePolicyDecision } from '../../core/policy/parse-decision.ts';
import type { Approval } from '../../core/policy/types.ts';
import type { AuditEntry } from '../../core/audit/hash-chain.ts';
import { LIVE_STATES } from '../../core/spend/state-machine.ts';
import { SPEND_KINDS, SPEND_STATES, type CoinHold, type GovernanceTx, type AllowlistEntry, type AuditFields, type Member, type NewProposal, type PartialPsbtRecord, type PolicyChangeRecord, type PolicyChangeState, type GovernanceChangeKind, type PolicyVersionRecord, type ProposalInput, type ProposalOutput, type ProposalUpdate, type SpendKind, type SpendProposal, type SpendState, type SpendStore } from '../../core/spend/types.ts';
import { appendAudit, readAuditHead, readAuditLog } from './audit-store.ts';
import { inWriteTransaction, toBig, toNum, toNumOrNull, type Database } from './database.ts';
import { SqlVaultStore } from './vault-store.ts';
import type { MembersTable, PolicyChangesTable, SpendApprovalsTable, SpendProposalsTable, Tables } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';

/** The pool, or a Kysely bound to a governance transaction. */
type Trx = Kysely<Tables>;

function strings(text: string): string[] {
  const v = JSON.parse(text) as unknown;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new DomainError('MALFORMED_DATA', 'a stored list is not a list of strings');
  return v as string[];
}

function memberFromRow(r: Selectable<MembersTable>): Member {
  return { id: r.id, name: r.name, roles: strings(r.roles), groups: strings(r.groups), createdAtMs: toNum(r.created_at_ms), publicKey: r.public_key };
}

/** A row of `policy_change_approvals` or `spend_approvals` (the columns they share). */
function approvalFromRow(r: Pick<Selectable<SpendApprovalsTable>, 'approver' | 'groups' | 'at_ms' | 'signature' | 'public_key'>): Approval {
  return { approverId: r.approver, groups: strings(r.groups), atMs: toNum(r.at_ms), signature: r.signature, publicKey: r.public_key };
}

function outputsFrom(text: string): ProposalOutput[] {
  const v = JSON.parse(text) as { address: string; sats: string; internal: boolean; internalVault: string | null }[];
  return v.map((o) => ({ address: o.address, sats: sats(BigInt(o.sats), 'output sats'), internal: o.internal, internalVault: o.internalVault }));
}

function inputsFrom(text: string): ProposalInput[] {
  const v = JSON.parse(text) as { txid: string; vout: number; value: string; branch: 0 | 1; index: number }[];
  return v.map((i) => ({ txid: txid(i.txid, 'input txid'), vout: i.vout, value: sats(BigInt(i.value), 'input value'), branch: i.branch, index: i.index }));
}

function oneOf<T extends string>(list: readonly T[], v: unknown, what: string): T {
  if (typeof v === 'string' && (list as readonly string[]).includes(v)) return v as T;
  throw new DomainError('MALFORMED_DATA', `a stored ${what} "${String(v)}" is unknown`);
}

function proposalIdOrNull(v: number | null): ProposalId | null {
  return v === null ? null : proposalId(v);
}

function proposalFromRow(r: Selectable<SpendProposalsTable>): SpendProposal {
  return {
    id: proposalId(toNum(r.id)),
    vaultId: vaultId(r.vault_id),
    kind: oneOf<SpendKind>(SPEND_KINDS, r.kind, 'proposal kind'),
    outputs: outputsFrom(r.outputs),
    inputs: inputsFrom(r.inputs),
    changeSats: sats(toBig(r.change_sats), 'change_sats'),
    changeIndex: toNumOrNull(r.change_index),
    memo: r.memo,
    proposer: r.proposer,
    feeRateSatPerKvb: toBig(r.fee_rate_kvb),
    feeSats: sats(toBig(r.fee_sats), 'fee_sats'),
    amountSats: sats(toBig(r.amount_sats), 'amount_sats'),
    state: oneOf<SpendState>(SPEND_STATES, r.state, 'proposal state'),
    psbt: r.psbt,
    unsignedTxid: txid(r.unsigned_txid, 'unsigned_txid'),
    txid: r.txid === null ? null : txid(r.txid),
    finalHex: r.final_hex,
    replaces: proposalIdOrNull(toNumOrNull(r.replaces)),
    replacedBy: proposalIdOrNull(toNumOrNull(r.replaced_by)),
    parent: proposalIdOrNull(toNumOrNull(r.parent)),
    policyVersion: toNum(r.policy_version),
    exportedAtMs: toNumOrNull(r.exported_at_ms),
    decision: parsePolicyDecision(JSON.parse(r.decision) as unknown, `decision of proposal ${toNum(r.id)}`),
    createdAtMs: toNum(r.created_at_ms),
    updatedAtMs: toNum(r.updated_at_ms),
  };
}

function updateColumns(u: ProposalUpdate): Updateable<SpendProposalsTable> {
  const set: Updateable<SpendProposalsTable> = {};
  if (u.state !== undefined) set.state = u.state;
  if (u.psbt !== undefined) set.psbt = u.psbt;
  if (u.txid !== undefined) set.txid = u.txid;
  if (u.finalHex !== undefined) set.final_hex = u.finalHex;
  if (u.replacedBy !== undefined) set.replaced_by = u.replacedBy;
  if (u.exportedAtMs !== undefined) set.exported_at_ms = BigInt(u.exportedAtMs);
  return set;
}


/** The first proposal of `id`'s replacement chain (a bump's original, or itself). */
async function familyOf(trx: Trx, id: number): Promise<number> {
  let current = id;
  for (let hops = 0; hops < 1000; hops++) {
    const r = await trx.selectFrom('spend_proposals').select('replaces').where('id', '=', current).executeTakeFirst();
    const up = toNumOrNull(r?.replaces);
    if (up === null) return current;
    current = up;
  }
  throw new DomainError('MALFORMED_DATA', `proposal ${id}'s replacement chain does not end`);
}

/**
 * Make the family's coin holds match its live proposals: coins no live member spends are released;
 * coins a live member spends and nobody holds are taken (a proposal live again after a reorg).
 * A coin another family holds meanwhile is left to it.
 */
async function syncFamilyHolds(trx: Trx, family: number): Promise<void> {
  const members = new Map<number, Pick<Selectable<SpendProposalsTable>, 'id' | 'vault_id' | 'state' | 'inputs' | 'replaces'>>();
  let frontier = [family];
  while (frontier.length > 0) {
    const rows = await trx.selectFrom('spend_proposals').select(['id', 'vault_id', 'state', 'inputs', 'replaces'])
      .where((eb) => eb.or([eb('id', 'in', frontier), eb('replaces', 'in', frontier)])).execute();
    frontier = [];
    for (const r of rows) {
      const id = toNum(r.id);
      if (!members.has(id)) {
        members.set(id, r);
        frontier.push(id);
      }
    }
  }
  const wanted = new Map<string, { txid: string; vout: number; vaultId: string; proposalId: number }>();
  for (const [id, r] of [...members].sort((a, b) => a[0] - b[0])) {
    if (!(LIVE_STATES as readonly string[]).includes(r.state)) continue;
    for (const i of inputsFrom(r.inputs)) wanted.set(`${i.txid}:${i.vout}`, { txid: i.txid, vout: i.vout, vaultId: r.vault_id, proposalId: id });
  }
  const held = await trx.selectFrom('proposal_coins').select(['txid', 'vout']).where('family_id', '=', family).execute();
  for (const h of held) {
    const key = `${h.txid}:${toNum(h.vout)}`;
    if (wanted.has(key)) wanted.delete(key);
    else await trx.deleteFrom('proposal_coins').where('txid', '=', h.txid).where('vout', '=', toNum(h.vout)).execute();
  }
  for (const w of wanted.values()) {
    const other = await trx.selectFrom('proposal_coins').select('family_id').where('txid', '=', w.txid).where('vout', '=', w.vout).executeTakeFirst();
    if (other) continue;
    await trx.insertInto('proposal_coins').values({ txid: w.txid, vout: w.vout, vault_id: w.vaultId, family_id: family, proposal_id: w.proposalId }).execute();
  }
}

export class SqlSpendStore implements SpendStore {
  readonly #database: Database;
  readonly #bound: Trx | undefined;

  /** `bound`: a Kysely inside a governance transaction (`atomically` passes it); null for the pool. */
  readonly #via: Readonly<Record<string, string>> | null;

  constructor(database: Database, bound?: Trx, via?: Readonly<Record<string, string>> | null) {
    this.#database = database;
    this.#bound = bound;
    this.#via = via ?? null;
  }

  get #k(): Trx {
    return this.#bound ?? this.#database.db;
  }

  /** Run `fn` in the current governance transaction, or in a new one. */
  #write<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.#bound ? fn(this.#bound) : inWriteTransaction(this.#database, fn);
  }

  /** Run a change and append its audit entry in one transaction. */
  async #mutate<T>(audit: AuditFields, fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.#write(async (trx) => {
      const result = await fn(trx);
      await appendAudit(trx, this.#database.engine, this.#stamped(audit));
      return result;
    });
  }

  atomically<T>(fn: (tx: GovernanceTx) => Promise<T>): Promise<T> {
    if (this.#bound) return fn({ spends: this, vaults: new SqlVaultStore(this.#database, this.#bound) });
    return inWriteTransaction(this.#database, (trx) => fn({ spends: new SqlSpendStore(this.#database, trx, this.#via), vaults: new SqlVaultStore(this.#database, trx) }));
  }

  withAuditContext(via: Readonly<Record<string, string>>): SpendStore {
    return new SqlSpendStore(this.#database, this.#bound, { ...(this.#via ?? {}), ...via });
  }

  /** Every entry this store appends names how the actor reached it (e.g. the API token id). */
  #stamped(audit: AuditFields): AuditFields {
    if (this.#via === null) return audit;
    const d = audit.details;
    const details = d !== null && typeof d === 'object' && !Array.isArray(d) ? { ...(d as Record<string, unknown>), via: this.#via } : { value: d ?? null, via: this.#via };
    return { ...audit, details };
  }

  async members(): Promise<Member[]> {
    const rows = await this.#k.selectFrom('members').selectAll().orderBy('id').execute();
    return rows.map(memberFromRow);
  }

  async findMember(idOrName: string): Promise<Member | null> {
    const byId = await this.#k.selectFrom('members').selectAll().where('id', '=', idOrName).executeTakeFirst();
    if (byId) return memberFromRow(byId);
    const byName = await this.#k.selectFrom('members').selectAll().where('name', '=', idOrName).execute();
    return byName.length === 1 && byName[0] ? memberFromRow(byName[0]) : null;
  }

  async addMember(m: Member, audit: AuditFields): Promise<void> {
    try {
      await this.#mutate(audit, (trx) =>
        trx.insertInto('members').values({ id: m.id, name: m.name, roles: JSON.stringify(m.roles), groups: JSON.stringify(m.groups), created_at_ms: BigInt(m.createdAtMs), public_key: m.publicKey ?? null }).execute(),
      );
    } catch (e) {
      if (isUniqueViolation(e)) throw new DomainError('ALREADY_EXISTS', `a member with id "${m.id}" already exists`);
      throw e;
    }
  }

  async activePolicy(): Promise<PolicyVersionRecord | null> {
    const r = await this.#k.selectFrom('policies').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
    if (!r) return null;
    const document = r.document;
    return { version: toNum(r.version), policy: parsePolicyJson(document), document, activatedAtMs: toNum(r.activated_at_ms), changeId: toNum(r.change_id) };
  }

  async #changeApprovals(ids: number[]): Promise<Map<number, Approval[]>> {
    const map = new Map<number, Approval[]>();
    if (ids.length === 0) return map;
    const rows = await this.#k.selectFrom('policy_change_approvals').selectAll().where('change_id', 'in', ids).orderBy('at_ms').execute();
    for (const r of rows) {
      const id = toNum(r.change_id);
      map.set(id, [...(map.get(id) ?? []), approvalFromRow(r)]);
    }
    return map;
  }

  async policyChange(id: number): Promise<PolicyChangeRecord | null> {
    const r = await this.#k.selectFrom('policy_changes').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) return null;
    const approvals = (await this.#changeApprovals([id])).get(id) ?? [];
    return changeFromRow(r, approvals);
  }

  async policyChanges(): Promise<PolicyChangeRecord[]> {
    const rows = await this.#k.selectFrom('policy_changes').selectAll().orderBy('id').execute();
    const approvals = await this.#changeApprovals(rows.map((r) => toNum(r.id)));
    return rows.map((r) => changeFromRow(r, approvals.get(toNum(r.id)) ?? []));
  }

  async proposePolicyChange(c: { version: number; document: string; proposer: string; createdAtMs: number; kind?: GovernanceChangeKind }, audit: AuditFields): Promise<number> {
    return this.#mutate(audit, async (trx) => {
      // The id comes from the database's sequence (SQLite: the rowid).
      const r = await trx.insertInto('policy_changes')
        .values({ version: c.version, document: c.document, proposer: c.proposer, state: 'proposed', created_at_ms: BigInt(c.createdAtMs), kind: c.kind ?? 'policy' })
        .returning('id').executeTakeFirstOrThrow();
      return toNum(r.id);
    });
  }

  async approvePolicyChange(id: number, a: Approval, audit: AuditFields): Promise<void> {
    try {
      await this.#mutate(audit, (trx) =>
        trx.insertInto('policy_change_approvals').values({ change_id: id, approver: a.approverId, groups: JSON.stringify(a.groups), at_ms: BigInt(a.atMs), signature: a.signature ?? null, public_key: a.publicKey ?? null }).execute(),
      );
    } catch (e) {
      if (isUniqueViolation(e)) throw new DomainError('ALREADY_EXISTS', `${a.approverId} already approved policy change ${id}`);
      throw e;
    }
  }

  async activatePolicy(changeId: number, atMs: number, audit: AuditFields): Promise<void> {
    await this.#mutate(audit, async (trx) => {
      const r = await trx.selectFrom('policy_changes').selectAll().where('id', '=', changeId).executeTakeFirst();
      if (!r) throw new DomainError('NOT_FOUND', `no policy change ${changeId}`);
      if (r.state !== 'proposed') throw new DomainError('INVALID_STATE', `policy change ${changeId} is already ${r.state}`);
      const current = await trx.selectFrom('policies').select('version').orderBy('version', 'desc').limit(1).executeTakeFirst();
      if (current && toNum(current.version) >= toNum(r.version)) {
        throw new DomainError('INVALID_STATE', `policy version ${toNum(current.version)} is already active; change ${changeId} (version ${toNum(r.version)}) is stale`);
      }
      await trx.updateTable('policy_changes').set({ state: 'accepted' }).where('id', '=', changeId).execute();
      await trx.insertInto('policies').values({ version: r.version, document: r.document, change_id: changeId, activated_at_ms: BigInt(atMs) }).execute();
    });
  }

  async applyMemberChange(changeId: number, m: Member, audit: AuditFields): Promise<void> {
    await this.#mutate(audit, async (trx) => {
      const r = await trx.selectFrom('policy_changes').select(['state', 'kind']).where('id', '=', changeId).executeTakeFirst();
      if (!r || r.kind !== 'member') throw new DomainError('NOT_FOUND', `no member change ${changeId}`);
      if (r.state !== 'proposed') throw new DomainError('INVALID_STATE', `member change ${changeId} is already ${r.state}`);
      await trx.updateTable('policy_changes').set({ state: 'accepted' }).where('id', '=', changeId).execute();
      const row = { name: m.name, roles: JSON.stringify(m.roles), groups: JSON.stringify(m.groups), public_key: m.publicKey ?? null };
      const u = await trx.updateTable('members').set(row).where('id', '=', m.id).executeTakeFirst();
      if (Number(u.numUpdatedRows) === 0) await trx.insertInto('members').values({ id: m.id, ...row, created_at_ms: BigInt(m.createdAtMs) }).execute();
    });
  }

  async allowlist(vaultId: string): Promise<AllowlistEntry[]> {
    const rows = await this.#k.selectFrom('allowlist').selectAll().where('vault_id', '=', vaultId).orderBy('added_at_ms').execute();
    return rows.map((r) => ({ vaultId: r.vault_id, address: r.address, addedAtMs: toNum(r.added_at_ms), addedBy: r.added_by }));
  }

  async addToAllowlist(e: AllowlistEntry, audit: AuditFields): Promise<void> {
    try {
      await this.#mutate(audit, (trx) =>
        trx.insertInto('allowlist').values({ vault_id: e.vaultId, address: e.address, added_at_ms: BigInt(e.addedAtMs), added_by: e.addedBy }).execute(),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new DomainError('ALREADY_EXISTS', `${e.address} is already on the allowlist of vault ${e.vaultId}`);
      throw err;
    }
  }

  async createProposal(p: NewProposal, audit: AuditFields): Promise<ProposalId> {
    return this.#mutate(audit, async (trx) => {
      // The id comes from the database's sequence (SQLite: the rowid).
      const inserted = await trx.insertInto('spend_proposals').values({
          vault_id: p.vaultId, kind: p.kind, outputs: toJson(p.outputs), inputs: toJson(p.inputs), change_sats: p.changeSats, change_index: p.changeIndex,
          memo: p.memo, proposer: p.proposer, fee_rate_kvb: p.feeRateSatPerKvb, fee_sats: p.feeSats, amount_sats: p.amountSats, state: p.state, psbt: p.psbt,
          unsigned_txid: p.unsignedTxid, txid: null, final_hex: null, replaces: p.replaces, replaced_by: null, parent: p.parent, policy_version: p.policyVersion,
          decision: toJson(p.decision), created_at_ms: BigInt(p.createdAtMs), updated_at_ms: BigInt(p.createdAtMs),
        }).returning('id').executeTakeFirstOrThrow();
      const id = proposalId(toNum(inserted.id));
      if ((LIVE_STATES as readonly string[]).includes(p.state)) {
        const family = p.replaces === null ? id : await familyOf(trx, p.replaces);
        for (const i of p.inputs) {
          const holder = await trx.selectFrom('proposal_coins').select(['family_id', 'proposal_id']).where('txid', '=', i.txid).where('vout', '=', i.vout).executeTakeFirst();
          if (holder && toNum(holder.family_id) === family) continue;
          if (holder) throw new DomainError('INVALID_STATE', `coin ${i.txid}:${i.vout} is already held by live proposal ${toNum(holder.proposal_id)}`);
          await trx.insertInto('proposal_coins').values({ txid: i.txid, vout: i.vout, vault_id: p.vaultId, family_id: family, proposal_id: id }).execute();
        }
      }
      return id;
    });
  }

  async coinHolds(vaultId: string): Promise<CoinHold[]> {
    const rows = await this.#k.selectFrom('proposal_coins').selectAll().where('vault_id', '=', vaultId).orderBy('txid').orderBy('vout').execute();
    return rows.map((r) => ({ txid: txid(r.txid), vout: toNum(r.vout), proposalId: proposalId(toNum(r.proposal_id)), familyId: proposalId(toNum(r.family_id), 'familyId') }));
  }

  async proposal(id: number): Promise<SpendProposal | null> {
    const r = await this.#k.selectFrom('spend_proposals').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? proposalFromRow(r) : null;
  }

  async proposals(vaultId?: string): Promise<SpendProposal[]> {
    let q = this.#k.selectFrom('spend_proposals').selectAll();
    if (vaultId !== undefined) q = q.where('vault_id', '=', vaultId);
    const rows = await q.orderBy('id', 'desc').execute();
    return rows.map(proposalFromRow);
  }

  async approvals(proposalId: number): Promise<Approval[]> {
    const rows = await this.#k.selectFrom('spend_approvals').selectAll().where('proposal_id', '=', proposalId).orderBy('at_ms').execute();
    return rows.map(approvalFromRow);
  }

  async addApproval(proposalId: number, a: Approval, update: ProposalUpdate, audit: AuditFields): Promise<void> {
    try {
      await this.#mutate(audit, async (trx) => {
        await trx.insertInto('spend_approvals').values({ proposal_id: proposalId, approver: a.approverId, groups: JSON.stringify(a.groups), at_ms: BigInt(a.atMs), signature: a.signature ?? null, public_key: a.publicKey ?? null }).execute();
        const set = updateColumns(update);
        if (Object.keys(set).length > 0) {
          const r = await trx.updateTable('spend_proposals').set({ ...set, updated_at_ms: BigInt(a.atMs) }).where('id', '=', proposalId).where('state', '=', 'proposed').executeTakeFirst();
          if (Number(r.numUpdatedRows) !== 1) throw new DomainError('INVALID_STATE', `proposal ${proposalId} is no longer awaiting approval`);
        }
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DomainError('ALREADY_EXISTS', `${a.approverId} already approved proposal ${proposalId}`);
      throw e;
    }
  }

  async addPartial(rec: Omit<PartialPsbtRecord, 'seq'>, combinedPsbt: string, audit: AuditFields): Promise<void> {
    await this.#mutate(audit, async (trx) => {
      const r = await trx.selectFrom('spend_partials').select((eb) => eb.fn.max('seq').as('m')).where('proposal_id', '=', rec.proposalId).executeTakeFirst();
      const seq = (toNumOrNull(r?.m) ?? 0) + 1;
      await trx.insertInto('spend_partials').values({ proposal_id: rec.proposalId, seq, imported_by: rec.importedBy, signatures: rec.signatures, psbt: rec.psbt, at_ms: BigInt(rec.atMs) }).execute();
      const u = await trx.updateTable('spend_proposals').set({ psbt: combinedPsbt, updated_at_ms: BigInt(rec.atMs) }).where('id', '=', rec.proposalId).where('state', '=', 'approved').executeTakeFirst();
      if (Number(u.numUpdatedRows) !== 1) throw new DomainError('INVALID_STATE', `proposal ${rec.proposalId} is no longer collecting signatures`);
    });
  }

  async partials(id: number): Promise<PartialPsbtRecord[]> {
    const rows = await this.#k.selectFrom('spend_partials').selectAll().where('proposal_id', '=', id).orderBy('seq').execute();
    return rows.map((r) => ({ proposalId: proposalId(toNum(r.proposal_id)), seq: toNum(r.seq), importedBy: r.imported_by, signatures: toNum(r.signatures), atMs: toNum(r.at_ms), psbt: r.psbt }));
  }

  async updateProposal(id: number, expectedState: SpendState, update: ProposalUpdate, audit: AuditFields, atMs: number): Promise<void> {
    await this.#mutate(audit, async (trx) => {
      const r = await trx.updateTable('spend_proposals').set({ ...updateColumns(update), updated_at_ms: BigInt(atMs) }).where('id', '=', id).where('state', '=', expectedState).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new DomainError('INVALID_STATE', `proposal ${id} is no longer ${expectedState}`);
      if (update.state !== undefined && update.state !== expectedState) await syncFamilyHolds(trx, await familyOf(trx, id));
    });
  }

  async appendAudit(audit: AuditFields): Promise<AuditEntry> {
    return this.#write((trx) => appendAudit(trx, this.#database.engine, this.#stamped(audit)));
  }

  auditLog(): Promise<AuditEntry[]> {
    return readAuditLog(this.#k);
  }

  auditHead(): Promise<{ seq: number; hash: string } | null> {
    return readAuditHead(this.#k);
  }
}

function changeFromRow(r: Selectable<PolicyChangesTable>, approvals: Approval[]): PolicyChangeRecord {
  return {
    id: toNum(r.id), version: toNum(r.version), document: r.document, proposer: r.proposer,
    state: r.state as PolicyChangeState, createdAtMs: toNum(r.created_at_ms), approvals, kind: r.kind === 'member' ? 'member' : 'policy',
  };
}
