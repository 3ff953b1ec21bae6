// Changing the policy needs the quorum the CURRENT version names (here 2 of finance AND 1 of
// central-bank), never the proposed version's own (lower) bar; through the use cases and the SQL
// store, on SQLite and PostgreSQL. Also: the bootstrap of version 1, and who may propose/approve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { approvePolicy } from '../../src/app/approve-policy.ts';
import { addMember } from '../../src/app/add-member.ts';
import { verifyAuditLog } from '../../src/app/verify-audit-log.ts';
import { policyDoc, setupMembers, testClock } from './fixtures.ts';

// Version 2 would let a single finance approval change the policy: it must not apply to itself.
const lax = policyDoc({ version: 2, policyChange: { group: 'finance', count: 1 } });

forEachEngine('policy change quorum', (t) => {
  test('bootstrap: the first policy must come from an admin and be version 1', async () => {
    const db = await t.open();
    const deps = { spends: new SqlSpendStore(db), vaults: new SqlVaultStore(db), now: testClock().now, network: 'regtest' as const };
    await assert.rejects(addMember(deps, { actor: undefined, name: 'luis', roles: ['operator'], groups: [] }), { code: 'FORBIDDEN' });
    await addMember(deps, { actor: undefined, name: 'ana', roles: ['admin'], groups: [] });
    await assert.rejects(addMember(deps, { actor: undefined, name: 'eve', roles: ['admin'], groups: [] }), { code: 'FORBIDDEN' });
    await assert.rejects(proposePolicy(deps, { actor: 'ana', document: policyDoc({ version: 3 }) }), { code: 'INVALID_CONFIG' });
    const r = await proposePolicy(deps, { actor: 'ana', document: policyDoc() });
    assert.equal(r.active, true);
    assert.equal((await deps.spends.activePolicy())?.version, 1);
    const actions = (await deps.spends.auditLog()).map((e) => e.action);
    assert.deepEqual(actions, ['member.add', 'policy.propose', 'policy.activate']);
  });

  test('refused without quorum: one finance + one central-bank is not enough; the second finance approval activates it', async () => {
    const { deps, spends, clock } = await setupMembers(await t.open());
    await assert.rejects(proposePolicy(deps, { actor: 'luis', document: lax }), { code: 'FORBIDDEN' }, 'only an admin proposes');
    await assert.rejects(proposePolicy(deps, { actor: 'ana', document: policyDoc({ version: 1 }) }), { code: 'INVALID_CONFIG' }, 'the version must go up');
    const { change, active, status } = await proposePolicy(deps, { actor: 'ana', document: lax });
    assert.equal(active, false);
    assert.match(status?.requirementText ?? '', /policyChange of version 1: 2 of finance AND 1 of central-bank/);

    await assert.rejects(approvePolicy(deps, { actor: 'luis', changeId: change.id }), { code: 'FORBIDDEN' }, 'an operator cannot approve');
    clock.advance(1000);
    let r = await approvePolicy(deps, { actor: 'maria', changeId: change.id });
    assert.equal(r.active, false, "version 2's own bar (1 of finance) does not apply to itself");
    assert.equal((await spends.activePolicy())?.version, 1);
    await assert.rejects(approvePolicy(deps, { actor: 'maria', changeId: change.id }), { code: 'ALREADY_EXISTS' });
    clock.advance(1000);
    r = await approvePolicy(deps, { actor: 'pedro', changeId: change.id });
    assert.equal(r.active, false);
    assert.match(r.status.missing, /needs 1 more approval from finance/);
    assert.equal((await spends.activePolicy())?.version, 1);
    clock.advance(1000);
    r = await approvePolicy(deps, { actor: 'marta', changeId: change.id });
    assert.equal(r.active, true);
    assert.equal((await spends.activePolicy())?.version, 2);
    await assert.rejects(approvePolicy(deps, { actor: 'maria', changeId: change.id }), { code: 'INVALID_STATE' }, 'decided already');

    // Now version 2's bar applies to version 3: one finance approval suffices.
    const v3 = await proposePolicy(deps, { actor: 'ana', document: policyDoc({ version: 3 }) });
    r = await approvePolicy(deps, { actor: 'maria', changeId: v3.change.id });
    assert.equal(r.active, true);
    assert.equal((await spends.activePolicy())?.version, 3);
    assert.equal((await verifyAuditLog({ spends })).ok, true);
  });
});
