/**
 * What the settlement use cases need, and who acts. An alliance member acts through a token bound
 * to its API identity (the member id enrolment binds a token to) or `--as CODE` on the CLI; an
 * alliance administrator acts for no member (`member: null`) and may read everything, but never
 * confirms or disputes an invoice for an importer.
 */
import type { ReferenceRateSource } from '../../core/accounting/reference-rate.ts';
import { DomainError } from '../../core/errors.ts';
import type { Network } from '../../core/network.ts';
import type { SettlementStore, StoredMember } from '../../core/settlement/store-port.ts';
import type { MemberCode } from '../../core/settlement/types.ts';

export interface SettlementDeps {
  readonly settlement: SettlementStore;
  /** Milliseconds since the epoch (the injected clock). */
  readonly now: () => number;
  /** Receive descriptors are checked against it. */
  readonly network: Network;
  /** The rate reference a cycle locks at its cutoff (the shipped price and FX files in the demo). */
  readonly rates?: ReferenceRateSource | undefined;
}

/** Who acts: recorded in the audit log; `member` is the alliance member acted for (null: the alliance administrator). */
export interface SettlementActor {
  readonly actor: string;
  readonly role: string;
  readonly member: MemberCode | null;
}

/**
 * The actor a token is: the alliance member whose API identity the token is bound to; otherwise
 * an admin or auditor token reads as the alliance administrator; any other token is refused.
 * @throws FORBIDDEN
 */
export async function actorOfToken(deps: Pick<SettlementDeps, 'settlement'>, token: { memberId: string | null; role: string; tokenId: string | null }): Promise<SettlementActor> {
  const m = token.memberId === null ? null : await deps.settlement.memberByIdentity(token.memberId);
  if (m) return { actor: token.memberId ?? m.code, role: token.role, member: m.code };
  if (token.role === 'admin' || token.role === 'auditor') return { actor: token.memberId ?? `token:${token.tokenId ?? '?'}`, role: token.role, member: null };
  throw new DomainError('FORBIDDEN', 'this token is bound to no alliance member (an alliance member\'s token is bound to its API identity through enrolment; admins and auditors read everything)');
}

/** The member a CLI `--as CODE` names (NOT_FOUND when unknown), or the administrator. */
export async function actorAs(deps: Pick<SettlementDeps, 'settlement'>, as: string | undefined, actor: string): Promise<SettlementActor> {
  if (as === undefined) return { actor, role: 'admin', member: null };
  const m = await requireMember(deps, as);
  return { actor: `${actor} as ${m.code}`, role: 'member', member: m.code };
}

export async function requireMember(deps: Pick<SettlementDeps, 'settlement'>, code: string): Promise<StoredMember> {
  const m = await deps.settlement.member(code.trim());
  if (!m) throw new DomainError('NOT_FOUND', `no alliance member "${code}" (see "soberana alliance member list")`);
  return m;
}

/** A member reads only what it is party to; NOT_FOUND (not FORBIDDEN) hides what exists. */
export function mayRead(actor: SettlementActor, parties: readonly MemberCode[]): boolean {
  return actor.member === null || parties.includes(actor.member);
}
