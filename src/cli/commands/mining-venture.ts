/**
 * `soberana mining venture|shares|site|payouts|distribute|report` (issue #17): mining ventures kept
 * in the database — partners and their shares over time, sites, the payouts sync saw, the governed
 * distribution of a period, and the report. Registered on `mining` by one line of
 * MINING_SUBCOMMANDS (mining.ts). Heavy modules load inside the actions.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { action, type CliContext } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { formatBtc } from '../../core/money.ts';
import { displaySafe } from '../../core/text/display-text.ts';

// Kept light (mining split loads this module too): the same as governance-deps.ts's AS_HELP / actorOf.
const AS_HELP = 'the member acting (id or name); default: $SOBERANA_ACTOR. Refused when the member lacks the role';
function actorOf(ctx: CliContext): string | undefined {
  const o = ctx.globals as { as?: unknown };
  const v = typeof o.as === 'string' ? o.as : process.env.SOBERANA_ACTOR;
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}
import type { DistributeDeps } from '../../app/mining/distribute.ts';

async function miningDeps(ctx: CliContext, chain = false): Promise<DistributeDeps & { close(): Promise<void> }> {
  const { SqlMiningStore } = await import('../../adapters/store/mining-store.ts');
  const { SqlSpendStore } = await import('../../adapters/store/spend-store.ts');
  const { SqlVaultStore } = await import('../../adapters/store/vault-store.ts');
  const { SqlComplianceStore } = await import('../../adapters/store/compliance-store.ts');
  const { complianceGate } = await import('../../app/compliance/spend-gate.ts');
  const { openPriceSource, maxPriceAgeMs } = await import('../../adapters/prices/open-price-source.ts');
  const db = await ctx.db();
  const source = chain ? await (await import('./sync.ts')).openChain(ctx) : undefined;
  return {
    mining: new SqlMiningStore(db), spends: new SqlSpendStore(db), vaults: new SqlVaultStore(db), now: () => Date.now(), network: ctx.config().network, chain: source,
    prices: openPriceSource(ctx.config().prices), maxPriceAgeMs: maxPriceAgeMs(ctx.config().prices), compliance: complianceGate({ compliance: new SqlComplianceStore(db), vaults: new SqlVaultStore(db) }),
    close: async () => {
      await source?.close();
    },
  };
}

async function withDeps<T>(ctx: CliContext, chain: boolean, fn: (d: DistributeDeps) => Promise<T>): Promise<T> {
  const d = await miningDeps(ctx, chain);
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

/** A block time typed as YYYY-MM-DD (00:00 UTC), an ISO date-time, or Unix seconds. */
export function parseEffectiveFrom(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : t);
  if (!Number.isFinite(ms)) throw new DomainError('INVALID_ARGUMENT', `--from must be a date (2026-11-15), a date-time (2026-11-15T12:00:00Z) or Unix seconds, got "${text}"`);
  return Math.floor(ms / 1000);
}

const btc = (s: bigint): string => `${formatBtc(s)} BTC`;
const EX = (lines: string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n\nSee docs/mining.md ("Ventures and distribution").`;

/** Registers every venture command on `mining` (one line in MINING_SUBCOMMANDS). */
export function registerVentureCommands(mining: Command): void {
  const venture = mining.command('venture').description('mining ventures: partners, their settlement, and the vault that receives the rewards');
  venture
    .command('add')
    .description('add a venture whose rewards arrive in a vault (admin; audited)')
    .requiredOption('--name <name>', 'the venture\'s name')
    .requiredOption('--vault <vault>', 'the vault receiving coinbase outputs and pool payouts (id or name)')
    .option('--public-sector', 'its coins are public-sector holdings: register its vault ("soberana compliance register add") and compliance classes its rewards as mining and its distributions as payments out', false)
    .option('--as <member>', AS_HELP)
    .addHelpText('after', EX(['soberana mining venture add --as rosa --name "Geo Venture" --vault venture --public-sector']))
    .action(action(async (ctx, o: { name: string; vault: string; publicSector: boolean }) => {
      const { addVenture } = await import('../../app/mining/ventures.ts');
      const v = await withDeps(ctx, false, (d) => addVenture(d, actorOf(ctx), { name: o.name, vault: o.vault, publicSector: o.publicSector }));
      // A public-sector venture's rewards count for the compliance rules only through the register
      // of public wallets (owner, legal basis, the day it joined): say so when its vault is not in it.
      const { SqlComplianceStore } = await import('../../adapters/store/compliance-store.ts');
      const { currentRegister } = await import('../../core/compliance/types.ts');
      const inRegister = currentRegister(await new SqlComplianceStore(await ctx.db()).registerVersions()).has(v.vaultId);
      ctx.out({ venture: v, complianceRegister: { vault: v.vaultId, registered: inRegister } }, () => [
        `venture ${v.id} added: ${displaySafe(v.name)}, rewards into vault ${v.vaultId}${v.publicSector ? ', public sector' : ''}`,
        ...(v.publicSector && !inRegister
          ? [`note: vault ${v.vaultId} is not in the compliance register yet; its rewards count as public-sector mining once it is: soberana compliance register add --vault ${v.vaultId} --owner … --legal-basis … --purpose … --joined YYYY-MM-DD`]
          : []),
      ].join('\n'));
    }));
  venture
    .command('add-partner')
    .description('add a partner and where its part is paid: a vault here, or a ranged descriptor (a fresh address each time); admin; audited')
    .requiredOption('--venture <venture>', 'venture id or name')
    .requiredOption('--code <code>', 'short code used in share tables, e.g. LAGEO')
    .requiredOption('--name <name>', 'the partner\'s name')
    .option('--settlement-vault <vault>', 'a vault of this Soberana')
    .option('--settlement-descriptor <descriptor>', 'a ranged descriptor (checked against the network)')
    .option('--as <member>', AS_HELP)
    .addHelpText('after', EX(['soberana mining venture add-partner --as rosa --venture geo-venture --code PAK --name Pakistan --settlement-vault pakistan', 'soberana mining venture add-partner --as rosa --venture geo-venture --code LAGEO --name LaGeo --settlement-descriptor "wpkh([…]tpub…/0/*)"']))
    .action(action(async (ctx, o: { venture: string; code: string; name: string; settlementVault?: string; settlementDescriptor?: string }) => {
      const { addPartner } = await import('../../app/mining/ventures.ts');
      const p = await withDeps(ctx, false, (d) => addPartner(d, actorOf(ctx), o));
      ctx.out({ partner: p }, () => `partner ${p.id} (${displaySafe(p.name)}) added to ${p.ventureId}: paid to ${p.settlement.kind === 'vault' ? `vault ${p.settlement.vaultId}` : 'its descriptor'}`);
    }));
  venture
    .command('list')
    .description('every venture')
    .action(action(async (ctx) => {
      const { listVentures } = await import('../../app/mining/ventures.ts');
      const vs = await withDeps(ctx, false, (d) => listVentures(d));
      ctx.out({ ventures: vs }, () => vs.length === 0 ? 'No ventures. Add one with "soberana mining venture add --help".' : vs.map((v) => `${v.id}  ${displaySafe(v.name)}  vault ${v.vaultId}${v.publicSector ? '  public sector' : ''}`).join('\n'));
    }));
  venture
    .command('show <venture>')
    .description('a venture: partners, every share table, sites, distributions')
    .action(action(async (ctx, ref: string) => {
      const { showVenture } = await import('../../app/mining/ventures.ts');
      const { listDistributions } = await import('../../app/mining/distribute.ts');
      const r = await withDeps(ctx, false, async (d) => {
        const v = await showVenture(d, ref);
        return { ...v, distributions: (await listDistributions(d, v.venture.id)).map((x) => ({ period: x.record.period, state: x.record.state, proposalId: x.record.proposalId, totalSats: x.record.totalSats, feeSats: x.record.feeSats, proposalState: x.proposalState, txid: x.txid })) };
      });
      ctx.out(r, () => [
        `${displaySafe(r.venture.name)} (${r.venture.id}): rewards into vault ${r.venture.vaultId}${r.venture.publicSector ? ', public sector' : ''}`,
        'partners:', ...r.partners.map((p) => `  ${p.id}  ${displaySafe(p.name)}  paid to ${p.settlement.kind === 'vault' ? `vault ${p.settlement.vaultId}` : `descriptor (next index ${p.nextIndex})`}`),
        'share tables:', ...r.shareVersions.map((v) => `  v${v.version} from ${new Date(v.effectiveFrom * 1000).toISOString()}: ${v.shares.map((s) => `${s.partner} ${(s.bps / 100).toFixed(2)}%`).join(', ')}${v.note ? ` (${displaySafe(v.note)})` : ''}`),
        'sites:', ...r.sites.map((s) => `  ${s.id}  ${displaySafe(s.name)}  ${s.energySource}, ${s.fleetThs} TH/s, pool ${displaySafe(s.pool ?? 'solo')}`),
        'distributions:', ...r.distributions.map((x) => `  ${x.period}  ${btc(x.totalSats)}  proposal ${String(x.proposalId)} (${x.proposalState ?? x.state})${x.txid ? `  tx ${x.txid}` : ''}`),
      ].join('\n'));
    }));

  mining
    .command('shares')
    .description('share tables of a venture (every version kept)')
    .command('set')
    .description('record a new share table, in force from a block time; shares in basis points summing to 10000 (admin; audited)')
    .requiredOption('--venture <venture>', 'venture id or name')
    .requiredOption('--shares <table>', 'PARTNER:BPS,… e.g. "LAGEO:2300,CEL:2700,PAK:5000"')
    .requiredOption('--from <when>', 'in force from this block time: YYYY-MM-DD (00:00 UTC), a date-time, or Unix seconds')
    .option('--note <text>', 'why it changed')
    .option('--as <member>', AS_HELP)
    .addHelpText('after', EX(['soberana mining shares set --as rosa --venture geo-venture --shares "LAGEO:2300,CEL:2700,PAK:5000" --from 2026-11-01']))
    .action(action(async (ctx, o: { venture: string; shares: string; from: string; note?: string }) => {
      const { setShares } = await import('../../app/mining/ventures.ts');
      const v = await withDeps(ctx, false, (d) => setShares(d, actorOf(ctx), { venture: o.venture, shares: o.shares, effectiveFrom: parseEffectiveFrom(o.from), note: o.note }));
      ctx.out({ shareVersion: v }, () => `share table v${v.version} of ${v.ventureId} in force from ${new Date(v.effectiveFrom * 1000).toISOString()}: ${v.shares.map((s) => `${s.partner} ${s.bps} bps`).join(', ')}`);
    }));

  mining
    .command('site')
    .description('sites of a venture')
    .command('add')
    .description('add a site: capacity, energy source and tariff (optionally subsidised against a market tariff), fleet, pool (admin; audited)')
    .requiredOption('--venture <venture>', 'venture id or name')
    .requiredOption('--name <name>', 'the site\'s name')
    .requiredOption('--capacity-mw <mw>', 'power capacity, MW')
    .requiredOption('--energy <source>', 'geothermal, hydro, surplus-grid, nuclear or gas')
    .requiredOption('--tariff <price>', 'energy price per MWh, in --currency (e.g. 45.00)')
    .requiredOption('--currency <code>', 'ISO 4217 code of the tariffs')
    .option('--market-tariff <price>', 'the market price per MWh when the site\'s is subsidised')
    .requiredOption('--fleet-ths <ths>', 'fleet hashrate, TH/s')
    .requiredOption('--efficiency <jth>', 'fleet efficiency, J/TH')
    .option('--uptime <percent>', 'share of the time the fleet runs, %', '100')
    .option('--pool <name>', 'the pool (labels naming it mark its payouts); none: solo mining')
    .option('--pool-fee <percent>', 'the pool\'s fee, %', '0')
    .option('--pool-address <address>', 'an address the pool pays from (repeat)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--as <member>', AS_HELP)
    .addHelpText('after', EX(['soberana mining site add --as rosa --venture geo-venture --name Tecapa --capacity-mw 10 --energy geothermal --tariff 45 --market-tariff 110 --currency USD --fleet-ths 500000 --efficiency 17.5 --uptime 95 --pool "Demo Pool" --pool-fee 2']))
    .action(action(async (ctx, o: { venture: string; name: string; capacityMw: string; energy: string; tariff: string; currency: string; marketTariff?: string; fleetThs: string; efficiency: string; uptime: string; pool?: string; poolFee: string; poolAddress: string[] }) => {
      const { addSite } = await import('../../app/mining/ventures.ts');
      const s = await withDeps(ctx, false, (d) => addSite(d, actorOf(ctx), {
        venture: o.venture, name: o.name, capacityMw: o.capacityMw, energySource: o.energy, tariffPerMwh: o.tariff, currency: o.currency, marketTariffPerMwh: o.marketTariff,
        fleetThs: o.fleetThs, efficiencyJPerTh: o.efficiency, uptimePercent: o.uptime, pool: o.pool, poolFeePercent: o.poolFee, poolAddresses: o.poolAddress,
      }));
      ctx.out({ site: s }, () => `site ${s.id} added to ${s.ventureId}: ${displaySafe(s.name)}, ${s.energySource}, ${s.fleetThs} TH/s, pool ${displaySafe(s.pool ?? 'solo')}`);
    }));

  mining
    .command('payouts')
    .description('the venture\'s payouts as synced (coinbase outputs, pool payouts), per site and period; run "soberana sync" first')
    .requiredOption('--venture <venture>', 'venture id or name')
    .option('--period <yyyy-mm>', 'only this month (UTC)')
    .addHelpText('after', EX(['soberana mining payouts --venture geo-venture --period 2026-11 --json']))
    .action(action(async (ctx, o: { venture: string; period?: string }) => {
      const { listPayouts } = await import('../../app/mining/payouts.ts');
      const { payoutsBySite } = await import('../../core/mining/payouts.ts');
      const r = await withDeps(ctx, false, (d) => listPayouts(d, o.venture, o.period));
      const bySite = payoutsBySite(r.payouts, o.period ?? null);
      ctx.out({ venture: r.venture.id, period: o.period ?? null, tipHeight: r.tipHeight, payouts: r.payouts, bySite }, () => r.payouts.length === 0 ? `No payouts${o.period ? ` in ${o.period}` : ''} (run "soberana sync" first).` : [
        ...r.payouts.map((p) => `${p.period}  ${p.kind.padEnd(8)}  ${btc(p.sats)}  block ${p.height}  site ${p.siteId ?? 'unattributed'}  ${p.txid}`),
        ...bySite.map((s) => `total ${s.siteId ?? 'unattributed'}: ${s.count} payout(s), ${btc(s.sats)}`),
      ].join('\n'));
    }));

  mining
    .command('distribute')
    .description('propose ONE transaction paying each partner its part of a period\'s payouts (the vault\'s policy applies; once per period; the fee is taken from the total before the split)')
    .requiredOption('--venture <venture>', 'venture id or name')
    .requiredOption('--period <yyyy-mm>', 'the month (UTC) to distribute; it must have ended')
    .option('--fee-rate <sat/vB>', 'fee rate; default: the node\'s estimate for --target-blocks')
    .option('--target-blocks <n>', 'blocks for the fee estimate', '6')
    .option('--as <member>', AS_HELP)
    .addHelpText('after', EX(['soberana mining distribute --as luis --venture geo-venture --period 2026-11 --fee-rate 2', 'soberana spend approve 2 --as ana   # then export, sign, import, finalize, broadcast as any spend']))
    .action(action(async (ctx, o: { venture: string; period: string; feeRate?: string; targetBlocks: string }) => {
      const { distributePeriod } = await import('../../app/mining/distribute.ts');
      const { parseFeeRate } = await import('../../core/spend/safety-nets.ts');
      const feeRate = o.feeRate === undefined ? undefined : parseFeeRate(o.feeRate);
      const r = await withDeps(ctx, feeRate === undefined, (d) => distributePeriod(d, { actor: actorOf(ctx), venture: o.venture, period: o.period, feeRateSatPerKvb: feeRate, targetBlocks: Number(o.targetBlocks) }));
      ctx.out({ already: r.already, proposal: { id: r.proposal.id, state: r.proposal.state, feeSats: r.proposal.feeSats, txid: r.proposal.txid }, plan: r.plan }, () => [
        r.already ? `${o.period} was distributed already: proposal ${r.proposal.id} (${r.proposal.state})` : `proposal ${r.proposal.id} (${r.proposal.state}): ${o.period} of ${r.plan.venture}, ${btc(r.plan.split.totalSats)} in ${r.plan.payouts.length} payout(s), fee ${btc(r.proposal.feeSats)} from the total`,
        ...r.plan.outputs.map((x) => `  ${x.partner.padEnd(8)} ${btc(x.sats)}  ${x.address}`),
        r.already ? `see: soberana spend show ${r.proposal.id}` : r.proposal.state === 'proposed' ? `next: approvers run "soberana spend approve ${r.proposal.id} --as <approver>"` : `next: soberana spend export ${r.proposal.id} --out unsigned.psbt`,
      ].join('\n'));
    }));

  mining
    .command('report')
    .description('per venture and site: fleet, actual vs forecast, revenue, modelled energy cost, margin; partner statements (JSON, CSV, PDF)')
    .requiredOption('--venture <venture>', 'venture id or name')
    .option('--period <yyyy-mm>', 'only this month (UTC)')
    .option('--price <usd>', 'BTC price in USD for the money figures (default: the shipped price file on the network history\'s last day)')
    .option('--csv <file>', 'write the report as CSV')
    .option('--pdf <file>', 'write the report as a PDF')
    .addHelpText('after', EX(['soberana mining report --venture geo-venture --json', 'soberana mining report --venture geo-venture --csv venture.csv --pdf venture.pdf']))
    .action(action(async (ctx, o: { venture: string; period?: string; price?: string; csv?: string; pdf?: string }) => {
      const { ventureReport, reportCsv } = await import('../../app/mining/report.ts');
      const { latestNetwork, loadNetworkHistory } = await import('../../adapters/mining/network-history.ts');
      const { shippedReferenceRates } = await import('../../adapters/prices/csv-reference-rates.ts');
      const { parseMajor } = await import('../../adapters/mining/site-spec.ts');
      const latest = latestNetwork(loadNetworkHistory());
      const day = new Date(latest.state.timeMs ?? 0).toISOString().slice(0, 10);
      let minorPerBtc: bigint;
      let date: string | undefined;
      if (o.price !== undefined) minorPerBtc = parseMajor(o.price, 2, 'the BTC price (USD)');
      else {
        const p = (await shippedReferenceRates().btcPrices('USD'))?.onOrBefore(day) ?? null;
        if (p === null) throw new DomainError('PRICE_UNAVAILABLE', `no shipped BTC/USD price on or before ${day}: give --price`);
        minorPerBtc = p.minorPerBtc;
        date = p.date;
      }
      const r = await withDeps(ctx, false, (d) => ventureReport(d, o.venture, { network: latest.state, price: { currency: 'USD', minorPerBtc, minorDigits: 2, ...(date === undefined ? {} : { date }) } }, o.period));
      if (o.csv !== undefined) writeFileSync(o.csv, reportCsv(r));
      if (o.pdf !== undefined) writeFileSync(o.pdf, await (await import('../mining-report-pdf.ts')).renderMiningReportPdf(r));
      const money = (v: bigint | null, c: string | null): string => (v === null || c === null ? '—' : `${v < 0n ? '-' : ''}${(v < 0n ? -v : v) / 100n}.${((v < 0n ? -v : v) % 100n).toString().padStart(2, '0')} ${c}`);
      ctx.out(r, () => [
        `${displaySafe(r.venture.name)} (${r.venture.id}); model: network at height ${r.model.network?.height ?? '—'}, BTC ${money(minorPerBtc, 'USD')}${date ? ` (${date})` : ''}`,
        ...r.rows.map((x) => `${x.period}  site ${x.siteId ?? 'unattributed'}  ${x.fleetThs ?? '—'} TH/s  actual ${btc(x.actualSats)}  forecast ${x.forecastSats === null ? '—' : btc(x.forecastSats)}${x.actualVsForecastBps === null ? '' : ` (${x.actualVsForecastBps >= 0 ? '+' : ''}${(x.actualVsForecastBps / 100).toFixed(2)}%)`}  revenue ${money(x.revenue, x.currency)}  energy ${money(x.energyCost, x.currency)}  margin ${money(x.margin, x.currency)}`),
        ...(r.statements.length === 0 ? ['no distributions yet'] : ['partner statements:', ...r.statements.map((s) => `  ${s.period}  ${s.partner.padEnd(8)} gross ${btc(s.grossSats)}  fee ${btc(s.feeSats)}  paid ${btc(s.netSats)}  ${s.txid ?? `proposal ${String(s.proposalId)} (${s.proposalState ?? ''})`}`)]),
        ...(o.csv ? [`CSV written to ${o.csv}`] : []), ...(o.pdf ? [`PDF written to ${o.pdf}`] : []),
      ].join('\n'));
    }));
}
