/**
 * The spend-governance dependencies for a CLI command: the SQL stores, the wall clock (the CLI is
 * where the clock is read), the configured BTC/USD price source (for USD-limited rules), and a
 * chain source only when the command needs one. Also: who is acting
 * (`--as <member>` or SOBERANA_ACTOR).
 */
import { SqlSpendStore } from '../adapters/store/spend-store.ts';
import { SqlVaultStore } from '../adapters/store/vault-store.ts';
import { parseProposalId, type ProposalId } from '../core/ids.ts';
import type { GovernanceDeps } from '../app/governance.ts';
import type { CliContext } from './context.ts';
import { openChain } from './commands/sync.ts';
import { maxPriceAgeMs, openPriceSource } from '../adapters/prices/open-price-source.ts';
import { SqlComplianceStore } from '../adapters/store/compliance-store.ts';
import { complianceGate } from '../app/compliance/spend-gate.ts';

/** Run `fn` with the governance dependencies; the chain source (if asked for) is closed after. */
export async function withGovernance<T>(ctx: CliContext, opts: { chain?: boolean }, fn: (deps: GovernanceDeps) => Promise<T>): Promise<T> {
  const db = await ctx.db();
  const chain = opts.chain ? await openChain(ctx) : undefined;
  try {
    const prices = openPriceSource(ctx.config().prices);
    return await fn({ spends: new SqlSpendStore(db), vaults: new SqlVaultStore(db), now: () => Date.now(), chain, network: ctx.config().network, prices, maxPriceAgeMs: maxPriceAgeMs(ctx.config().prices), compliance: complianceGate({ compliance: new SqlComplianceStore(db), vaults: new SqlVaultStore(db) }) });
  } finally {
    await chain?.close();
  }
}

/** The member acting: `--as` (on the command or its group), else SOBERANA_ACTOR. */
export function actorOf(ctx: CliContext): string | undefined {
  // The context holds every option of the command and its parents (commander's optsWithGlobals).
  const o = ctx.globals as { as?: unknown };
  const v = typeof o.as === 'string' ? o.as : process.env.SOBERANA_ACTOR;
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export const AS_HELP = 'the member acting (id or name); default: $SOBERANA_ACTOR. Refused when the member lacks the role';

/** A proposal or policy-change id typed on the command line. */
/** A proposal id the user typed (INVALID_ARGUMENT unless a positive whole number); a policy change id is read the same way and used as a plain number. */
export function parseId(text: string, what = 'proposal'): ProposalId {
  return parseProposalId(text, what);
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}
