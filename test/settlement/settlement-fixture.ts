/**
 * Shared setup for the settlement store/use-case tests: members with regtest receive descriptors,
 * a fixed clock, deps over a migrated database.
 */
import { descriptorChecksum } from '../../src/core/bitcoin/descriptor.ts';
import type { Database } from '../../src/adapters/store/database.ts';
import { SqlSettlementStore } from '../../src/adapters/store/settlement-store.ts';
import { parseLockedRate } from '../../src/core/settlement/rates.ts';
import type { LockedRate } from '../../src/core/settlement/types.ts';
import { addAllianceMember } from '../../src/app/settlement/add-member.ts';
import type { SettlementActor, SettlementDeps } from '../../src/app/settlement/deps.ts';

const TPUBS = [
  'tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp',
  'tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B',
  'tpubD6NzVbkrYhZ4WLczPJWReQycCJdd6YVWXubbVUFnJ5KgU5MDQrD998ZJLSmaB7GVcCnJSDWprxmrGkJ6SvgQC6QAffVpqSvonXmeizXcrkN',
] as const;

/** A ranged regtest descriptor, distinct per `i` (account path differs). */
export function receiveDescriptor(i: number): string {
  const body = `wpkh(${TPUBS[i % TPUBS.length]}/${i}/*)`;
  return `${body}#${descriptorChecksum(body)}`;
}

export const ADMIN: SettlementActor = { actor: 'clearing-house', role: 'admin', member: null };
export const as = (code: string): SettlementActor => ({ actor: `member-${code.toLowerCase()}`, role: 'operator', member: code });

export const RATES: LockedRate[] = [parseLockedRate('USD', '78293.71', 'test'), parseLockedRate('PKR', '22041245.24', 'test'), parseLockedRate('RUB', '6300000.00', 'test')];

export function depsOf(db: Database, clock = { t: Date.UTC(2026, 11, 2) }): SettlementDeps {
  return { settlement: new SqlSettlementStore(db), now: () => clock.t++, network: 'regtest' };
}

export const MEMBERS = [
  { code: 'SLV', state: 'El Salvador', institution: 'Banco Central de Reserva', currency: 'USD' },
  { code: 'PAK', state: 'Pakistan', institution: 'State Bank of Pakistan', currency: 'PKR' },
  { code: 'RUS', state: 'Russia', institution: 'Bank of Russia', currency: 'RUB' },
] as const;

export async function addMembers(deps: SettlementDeps, members: readonly { code: string; state: string; institution: string; currency: string }[] = MEMBERS): Promise<void> {
  for (const [i, m] of members.entries()) await addAllianceMember(deps, ADMIN, { ...m, receiveDescriptor: receiveDescriptor(i), apiIdentity: `id-${m.code.toLowerCase()}` });
}
