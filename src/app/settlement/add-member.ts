/**
 * Alliance members: add (screened against the current screening list), list, show. Audited in the
 * same transaction as the change (`settlement.member.add`, with the hold when screening matched).
 */
import { checkDescriptorNetwork, parseDescriptor } from '../../core/bitcoin/descriptor.ts';
import { DomainError } from '../../core/errors.ts';
import { currencyMinorDigits } from '../../core/settlement/rates.ts';
import type { ScreeningHold, StoredMember } from '../../core/settlement/store-port.ts';
import type { SettlementActor, SettlementDeps } from './deps.ts';
import { requireMember } from './deps.ts';
import { screeningOf } from './screening.ts';

export const MEMBER_CODE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

export interface AddMemberInput {
  readonly code: string;
  readonly state: string;
  readonly institution: string;
  readonly currency: string;
  readonly receiveDescriptor: string;
  /** The member id its tokens are bound to (enrolment); default the code. */
  readonly apiIdentity?: string | undefined;
}

function text(v: string, what: string): string {
  const t = v.trim();
  if (t === '') throw new DomainError('INVALID_ARGUMENT', `${what} may not be empty`);
  if (t.length > 200) throw new DomainError('INVALID_ARGUMENT', `${what} is at most 200 characters`);
  return t;
}

/**
 * Add an alliance member. The receive descriptor must parse, be ranged (fresh addresses are derived
 * from it, never asked for) and belong to the configured network. A screening match adds it `held`
 * with a hold for a compliance officer.
 * @throws INVALID_ARGUMENT, INVALID_DESCRIPTOR, NETWORK_MISMATCH, UNKNOWN_CURRENCY, ALREADY_EXISTS
 * @example await addAllianceMember(deps, admin, { code: 'PAK', state: 'Pakistan', institution: 'State Bank of Pakistan', currency: 'PKR', receiveDescriptor: 'wsh(sortedmulti(2,…/0/*))#…' })
 */
export async function addAllianceMember(deps: SettlementDeps, by: SettlementActor, input: AddMemberInput): Promise<{ member: StoredMember; hold: ScreeningHold | null }> {
  if (by.member !== null) throw new DomainError('FORBIDDEN', 'only the alliance administrator adds members');
  const code = input.code.trim();
  if (!MEMBER_CODE_RE.test(code)) throw new DomainError('INVALID_ARGUMENT', `member code "${code.slice(0, 40)}" must be a letter or digit then up to 31 letters, digits, '_', '-', '.' (e.g. SLV)`);
  const currency = input.currency.trim().toUpperCase();
  currencyMinorDigits(currency);
  const parsed = parseDescriptor(input.receiveDescriptor.trim());
  checkDescriptorNetwork(parsed, deps.network);
  if (!parsed.ranged) throw new DomainError('INVALID_DESCRIPTOR', 'the receive descriptor must be ranged (end in /* or <0;1>/*): the clearing side derives a fresh address for every settlement');
  const atMs = deps.now();
  const member: StoredMember = {
    code, state: text(input.state, 'state'), institution: text(input.institution, 'institution'), currency, receiveDescriptor: parsed.descriptor,
    apiIdentity: text(input.apiIdentity ?? code, 'API identity'), status: 'active', addedBy: by.actor, addedAtMs: atMs,
  };
  const screening = await screeningOf(deps);
  const matches = screening ? screening.check({ names: [member.state, member.institution], countries: [member.code, member.state] }) : null;
  const hold = await deps.settlement.addMember(member, matches, {
    actor: by.actor, role: by.role, action: 'settlement.member.add', object: `member:${code}`, atMs,
    details: { code, state: member.state, institution: member.institution, currency, apiIdentity: member.apiIdentity, descriptor: member.receiveDescriptor, screeningList: screening?.version ?? null },
  });
  return { member: { ...member, status: hold ? 'held' : 'active' }, hold };
}

export async function listAllianceMembers(deps: Pick<SettlementDeps, 'settlement'>): Promise<StoredMember[]> {
  return deps.settlement.members();
}

export async function showAllianceMember(deps: Pick<SettlementDeps, 'settlement'>, code: string): Promise<StoredMember> {
  return requireMember(deps, code);
}
