/** The public transparency dataset: no token needed, rate limited, nothing private in it. */
import { displaySafeDeep } from '../../core/text/display-text.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatBtc } from '../../core/money.ts';
import {
  shareOf21MBasisPoints,
  shareOf21MPercent,
  valueInCents,
  type HoldingPoint,
  type PublicAddress,
  type PublicTip,
  type PublicTransaction,
  type PublicVerification,
  type TxCategory,
  TX_CATEGORIES,
} from '../../core/transparency/public-view.ts';
import { csvTable } from '../../core/transparency/csv.ts';
import { encodedBody, sendEncoded, type EncodedBody } from '../encoded-body.ts';
import { defaultExplorerUrl } from '../../core/transparency/explorer.ts';
import { auditHeadOf, auditTimeIso, EMPTY_LOG_HEAD, type AuditHeadInfo } from '../../core/audit/kept-heads.ts';
import type { ServerDeps } from '../deps.ts';
import type { PublicTransactionQuery } from '../cached-view.ts';
import { DomainError } from '../../core/errors.ts';
import type { ApiRoute } from '../registry.ts';
import { centsString, isoDate, satsString, tip, txid, type JsonSchema } from '../schemas.ts';

/** Today's UTC date from the injected clock. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function wireTip(t: PublicTip | null): { height: number; hash: string; time: number | null } | null {
  return t ? { height: t.height, hash: t.hash, time: t.time } : null;
}

/** A vault id as a query parameter (ids are slugs of names). */
const vaultId = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}$' } as const;

const vaultTotal = {
  type: 'object',
  required: ['id', 'name', 'confirmedSats', 'unconfirmedSats', 'addressCount', 'illustrative'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    confirmedSats: satsString,
    unconfirmedSats: satsString,
    addressCount: { type: 'integer' },
    illustrative: { type: 'boolean', description: 'the figures are illustrative (demo or example data), not real holdings; the operator marks a vault so' },
  },
} as const;

const fiatValue = {
  type: ['object', 'null'],
  required: ['currency', 'cents', 'priceCents', 'priceDate'],
  description: 'value of the confirmed total at the latest daily price on or before today; null when no price is known',
  properties: { currency: { type: 'string' }, cents: centsString, priceCents: centsString, priceDate: isoDate },
} as const;

const transaction = {
  type: 'object',
  required: ['txid', 'time', 'height', 'confirmations', 'category', 'netSats', 'vault'],
  properties: {
    txid,
    time: { type: ['integer', 'null'] },
    height: { type: ['integer', 'null'] },
    confirmations: { type: 'integer', minimum: 0 },
    category: { type: 'string', enum: [...TX_CATEGORIES] },
    netSats: satsString,
    vault: { type: 'string' },
  },
} as const;

/**
 * Remember the serialized body of a view answer: while the view hands back the same object (the
 * public cache, or a store answer that did not change), every hit sends the same bytes (and their
 * compressed forms, see encoded-body.ts) without converting, stringifying or compressing thousands
 * of points again.
 */
function memoBody<K extends object>(): (key: K, variant: string, make: () => unknown) => EncodedBody {
  // per answer, its bodies by variant (the date of today, or a vault's id): a handful each
  const memo = new WeakMap<K, Map<string, EncodedBody>>();
  return (key, variant, make) => {
    let bodies = memo.get(key);
    const hit = bodies?.get(variant);
    if (hit) return hit;
    // a pre-serialized body skips Fastify's preSerialization hook: escape display text here (issue #19)
    const body = encodedBody(Buffer.from(JSON.stringify(displaySafeDeep(make())), 'utf8'));
    if (!bodies) memo.set(key, (bodies = new Map()));
    if (bodies.size >= 64) bodies.clear();
    bodies.set(variant, body);
    return body;
  };
}

/**
 * One shared answer reused for `ttlMs` (as `cachedPublicView` does for the view): concurrent
 * requests share one load; a failure is not kept.
 */
function cachedLoad<T>(load: () => Promise<T>, ttlMs: number, now: () => number): () => Promise<T> {
  let hit: { at: number; value: Promise<T> } | null = null;
  return () => {
    const t = now();
    if (ttlMs > 0 && hit && t - hit.at < ttlMs) return hit.value;
    const value = load();
    const entry = { at: t, value };
    hit = entry;
    value.catch(() => {
      if (hit === entry) hit = null;
    });
    return value;
  };
}


/** The total at the end of each day it changed, valued at that day's price (per-vault series: `vaultSeries`). */
function wireHoldings(points: readonly HoldingPoint[], prices: ServerDeps['prices']): unknown {
  return {
    currency: prices.currency,
    points: points.map((p) => {
      const price = prices.onOrBefore(p.date);
      return { date: p.date, sats: p.sats.toString(), usdCents: price ? valueInCents(p.sats, price.cents).toString() : null };
    }),
  };
}

/**
 * One vault's confirmed balance at the end of each day of the total series from the vault's first
 * transaction on (so a page can draw it beside the total, each value at that day's price), or null
 * when no point knows the vault.
 */
export function vaultSeries(points: readonly HoldingPoint[], vault: string): Array<{ date: string; sats: HoldingPoint['sats'] }> | null {
  const out: Array<{ date: string; sats: HoldingPoint['sats'] }> = [];
  for (const p of points) {
    const v = p.vaults?.find((x) => x.vault === vault);
    if (v) out.push({ date: p.date, sats: v.sats });
  }
  return out.length === 0 ? null : out;
}

function wireAddress(a: PublicAddress): Record<string, unknown> {
  return {
    address: a.address,
    vault: a.vault,
    kind: a.kind,
    index: a.index,
    confirmedSats: a.confirmedSats.toString(),
    unconfirmedSats: a.unconfirmedSats.toString(),
    txCount: a.txCount,
  };
}

function wireTransaction(t: PublicTransaction): Record<string, unknown> {
  return {
    txid: t.txid,
    time: t.time,
    height: t.height,
    confirmations: t.confirmations,
    category: t.category satisfies TxCategory,
    netSats: t.netSats.toString(),
    vault: t.vault,
  };
}

/** Every transaction, newest first, through the view's own pages. */
async function allTransactions(view: ServerDeps['publicView']): Promise<PublicTransaction[]> {
  const out: PublicTransaction[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await view.transactions({ limit: 500, ...(before !== undefined ? { before } : {}) });
    out.push(...page.items);
    if (page.nextBefore === null) return out;
    before = page.nextBefore;
  }
}

const DOWNLOADS = ['holdings.csv', 'holdings.json', 'transactions.csv', 'transactions.json', 'addresses.csv', 'addresses.json'] as const;
type Download = (typeof DOWNLOADS)[number];

function isoTime(sec: number | null): string | null {
  return sec === null ? null : new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}

/** The open-data files: the JSON ones are the JSON answers (all transactions in one); the CSV ones the same rows, amounts in sats and in BTC. */
async function downloadBody(file: Download, deps: ServerDeps): Promise<string> {
  const view = deps.publicView;
  switch (file) {
    case 'holdings.json':
      return JSON.stringify(wireHoldings(await view.holdings(), deps.prices));
    case 'holdings.csv': {
      const points = await view.holdings();
      const vaults = [...new Set(points.flatMap((p) => (p.vaults ?? []).map((v) => v.vault)))];
      const cur = deps.prices.currency.toLowerCase();
      const rows = points.map((p) => {
        const price = deps.prices.onOrBefore(p.date);
        const by = new Map((p.vaults ?? []).map((v) => [v.vault, v.sats]));
        return [p.date, p.sats, formatBtc(p.sats), price ? valueInCents(p.sats, price.cents) : null, price?.date ?? null, ...vaults.map((v) => by.get(v) ?? null)];
      });
      return csvTable(['date', 'sats', 'btc', `${cur}_cents`, 'price_date', ...vaults.map((v) => `sats_${v}`)], rows);
    }
    case 'addresses.json':
      return JSON.stringify({ addresses: (await view.addresses()).map(wireAddress) });
    case 'addresses.csv':
      return csvTable(
        ['address', 'vault', 'kind', 'index', 'confirmed_sats', 'confirmed_btc', 'unconfirmed_sats', 'unconfirmed_btc', 'tx_count'],
        (await view.addresses()).map((a) => [a.address, a.vault, a.kind, a.index, a.confirmedSats, formatBtc(a.confirmedSats), a.unconfirmedSats, formatBtc(a.unconfirmedSats), a.txCount]),
      );
    case 'transactions.json':
      return JSON.stringify({ items: (await allTransactions(view)).map(wireTransaction), nextBefore: null });
    case 'transactions.csv':
      return csvTable(
        ['txid', 'vault', 'category', 'height', 'time', 'confirmations', 'net_sats', 'net_btc'],
        (await allTransactions(view)).map((t) => [t.txid, t.vault, t.category, t.height, isoTime(t.time), t.confirmations, t.netSats, formatBtc(t.netSats)]),
      );
  }
}

export function publicRoutes(deps: ServerDeps): ApiRoute[] {
  const tag = 'public';
  const summaryBody = memoBody<object>();
  const holdingsBody = memoBody<object>();
  const addressesBody = memoBody<object>();
  const transactionsBody = memoBody<object>();
  const downloads = new Map<Download, () => Promise<EncodedBody>>(
    DOWNLOADS.map((f) => [f, cachedLoad(async () => encodedBody(Buffer.from(await downloadBody(f, deps), 'utf8')), deps.publicCacheMs ?? 5000, () => deps.clock.now())]),
  );
  // Only the head of the log (seq, hash, time, count) leaves here; without governance there is no log.
  const spends = deps.governance?.spends;
  const auditHead = cachedLoad<AuditHeadInfo>(
    async () => (spends ? auditHeadOf(await spends.auditLog()) : { ...EMPTY_LOG_HEAD, atMs: null, entries: 0 }),
    deps.publicCacheMs ?? 5000,
    () => deps.clock.now(),
  );
  const routes: ApiRoute[] = [
    {
      method: 'GET',
      path: '/public/summary',
      permission: 'public.read',
      tag,
      rateLimited: true,
      summary: 'Total holdings, their value in USD and their share of the 21 million bitcoin',
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['network', 'tip', 'asOf', 'confirmedSats', 'unconfirmedSats', 'confirmedBtc', 'fiat', 'shareOf21M', 'vaults', 'explorer'],
            properties: {
              network: { type: 'string' },
              explorer: {
                type: ['string', 'null'],
                description: 'base URL of the block explorer to link to (`${explorer}/tx/${txid}`, `${explorer}/address/${address}`); null when none is configured',
              },
              tip,
              asOf: isoDate,
              confirmedSats: satsString,
              unconfirmedSats: satsString,
              confirmedBtc: { type: 'string', description: 'the confirmed total in BTC with 8 decimals' },
              fiat: fiatValue,
              shareOf21M: {
                type: 'object',
                required: ['percent', 'basisPoints'],
                properties: { percent: { type: 'string', description: 'exact, 6 decimals, truncated' }, basisPoints: { type: 'string' } },
              },
              vaults: { type: 'array', items: vaultTotal },
            },
          },
        },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const s = await deps.publicView.summary();
        const today = utcDate(deps.clock.now());
        const explorer = deps.explorerUrl === undefined ? defaultExplorerUrl(s.network) : deps.explorerUrl;
        return sendEncoded(req, reply, summaryBody(s, today, () => {
          const price = deps.prices.onOrBefore(today);
          return {
            network: s.network,
            tip: wireTip(s.tip),
            asOf: today,
            confirmedSats: s.confirmedSats.toString(),
            unconfirmedSats: s.unconfirmedSats.toString(),
            confirmedBtc: formatBtc(s.confirmedSats),
            fiat: price
              ? { currency: deps.prices.currency, cents: valueInCents(s.confirmedSats, price.cents).toString(), priceCents: price.cents.toString(), priceDate: price.date }
              : null,
            shareOf21M: { percent: shareOf21MPercent(s.confirmedSats), basisPoints: shareOf21MBasisPoints(s.confirmedSats).toString() },
            vaults: s.vaults.map((v) => ({
              id: v.id,
              name: v.name,
              confirmedSats: v.confirmedSats.toString(),
              unconfirmedSats: v.unconfirmedSats.toString(),
              addressCount: v.addressCount,
              illustrative: (v as { illustrative?: unknown }).illustrative === true,
            })),
            explorer,
          };
        }));
      },
    },
    {
      method: 'GET',
      path: '/public/holdings',
      permission: 'public.read',
      tag,
      rateLimited: true,
      summary: 'Confirmed holdings at the end of each day they changed, valued at that day’s price: the total, or one vault’s with ?vault=ID',
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { vault: { ...vaultId, description: 'a vault id (the summary lists them): that vault’s balance on each day of the total series from its first transaction on, instead of the total' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['currency', 'points'],
            properties: {
              currency: { type: 'string' },
              vault: { type: 'string', description: 'the vault of a per-vault series (absent for the total)' },
              points: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['date', 'sats', 'usdCents'],
                  properties: { date: isoDate, sats: satsString, usdCents: { ...centsString, type: ['string', 'null'] } },
                },
              },
            },
          },
        },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const { vault } = req.query as { vault?: string };
        const points = await deps.publicView.holdings();
        if (vault === undefined) return sendEncoded(req, reply, holdingsBody(points, '', () => wireHoldings(points, deps.prices)));
        return sendEncoded(req, reply, holdingsBody(points, `vault:${vault}`, () => {
          const series = vaultSeries(points, vault);
          if (series === null) throw new DomainError('NOT_FOUND', `no holdings for a vault "${vault}"; the summary lists the vaults`);
          return { ...(wireHoldings(series, deps.prices) as object), vault };
        }));
      },
    },
    {
      method: 'GET',
      path: '/public/addresses',
      permission: 'public.read',
      tag,
      rateLimited: true,
      summary: 'Every address of every vault with its balance',
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['addresses'],
            properties: {
              addresses: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['address', 'vault', 'kind', 'index', 'confirmedSats', 'unconfirmedSats', 'txCount'],
                  properties: {
                    address: { type: 'string' },
                    vault: { type: 'string' },
                    kind: { type: 'string', enum: ['receive', 'change', 'watched'] },
                    index: { type: 'integer' },
                    confirmedSats: satsString,
                    unconfirmedSats: satsString,
                    txCount: { type: 'integer' },
                  },
                },
              },
            },
          },
        },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const list = await deps.publicView.addresses();
        return sendEncoded(req, reply, addressesBody(list, '', () => ({ addresses: list.map(wireAddress) })));
      },
    },
    {
      method: 'GET',
      path: '/public/transactions',
      permission: 'public.read',
      tag,
      rateLimited: true,
      summary: 'Transactions, newest first, with their category and confirmations',
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            before: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,200}$', description: 'the nextBefore of the previous page (opaque)' },
            vault: { ...vaultId, description: 'only this vault’s transactions (a vault id, as the summary lists them)' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'nextBefore'],
            properties: { items: { type: 'array', items: transaction }, nextBefore: { type: ['string', 'null'] } },
          },
        },
      },
      async handler(req: FastifyRequest, reply: FastifyReply) {
        const q = req.query as { limit: number; before?: string; vault?: string };
        const query: PublicTransactionQuery = { limit: q.limit, ...(q.before !== undefined ? { before: q.before } : {}), ...(q.vault !== undefined ? { vault: q.vault } : {}) };
        const page = await deps.publicView.transactions(query);
        return sendEncoded(req, reply, transactionsBody(page, '', () => ({ items: page.items.map(wireTransaction), nextBefore: page.nextBefore })));
      },
    },
    {
      method: 'GET',
      path: '/public/verify',
      permission: 'public.read',
      tag,
      rateLimited: true,
      summary: 'What you need to check the totals yourself against your own node',
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['network', 'tip', 'vaults', 'steps'],
            properties: {
              network: { type: 'string' },
              tip,
              vaults: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'name', 'descriptors', 'addresses', 'threshold', 'keyCount'],
                  properties: {
                    id: { type: 'string' },
                    name: { type: 'string' },
                    descriptors: { type: 'array', items: { type: 'string' } },
                    addresses: { type: 'array', items: { type: 'string' } },
                    threshold: { type: ['integer', 'null'] },
                    keyCount: { type: ['integer', 'null'] },
                  },
                },
              },
              steps: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['title', 'text', 'commands'],
                  properties: { title: { type: 'string' }, text: { type: 'string' }, commands: { type: 'array', items: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
      async handler() {
        const v = await deps.publicView.verification();
        return {
          network: v.network,
          tip: wireTip(v.tip),
          vaults: v.vaults.map((x) => ({
            id: x.id,
            name: x.name,
            descriptors: [...x.descriptors],
            addresses: [...x.addresses],
            threshold: x.threshold,
            keyCount: x.keyCount,
          })),
          steps: verificationSteps(v),
        };
      },
    },
    {
      method: 'GET',
      path: '/public/audit-head',
      permission: 'public.read',
      tag,
      rateLimited: true,
      summary: 'The head of the governance audit log (its last entry\'s number, hash and time, and how many entries), to keep and check later with "soberana audit verify --head SEQ:HASH"',
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['seq', 'hash', 'at', 'entries'],
            properties: {
              seq: { type: 'integer', minimum: 0, description: 'the last entry\'s number; 0 for an empty log' },
              hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'the last entry\'s hash, which covers every entry before it; 64 zeros for an empty log' },
              at: { type: ['string', 'null'], description: 'when the last entry was written, ISO 8601 UTC; null for an empty log' },
              entries: { type: 'integer', minimum: 0, description: 'how many entries the log holds' },
            },
          },
        },
      },
      async handler() {
        const h = await auditHead();
        return { seq: h.seq, hash: h.hash, at: auditTimeIso(h.atMs), entries: h.entries };
      },
    },
  ];
  const jsonSchemaOf = (path: string): JsonSchema => routes.find((r) => r.path === path)?.schema.response[200] ?? {};
  routes.push(...DOWNLOADS.map((file): ApiRoute => {
      const [name, ext] = file.split('.') as [string, string];
      const load = downloads.get(file);
      if (!load) throw new TypeError(`downloads: no loader for ${file}`);
      return {
        method: 'GET',
        path: `/public/downloads/${file}`,
        permission: 'public.read',
        tag,
        rateLimited: true,
        summary: `Open data: ${name === 'holdings' ? 'holdings over time (total and per vault)' : name === 'transactions' ? 'every transaction, newest first' : 'every address with its balance'} as ${ext === 'csv' ? 'CSV (RFC 4180, a header row, amounts in sats and in BTC; cells that could be read as a formula start with an apostrophe)' : 'JSON (as the matching JSON route answers, all rows in one)'}, to save`,
        schema: {
          response: {
            // the JSON files are the JSON answers (all transactions in one page); the CSV ones are text/csv
            200: ext === 'json' ? jsonSchemaOf(`/public/${name}`) : { description: 'the file, text/csv, as an attachment', type: 'string' },
          },
        },
        async handler(req: FastifyRequest, reply: FastifyReply) {
          const body = await load();
          void reply.header('content-disposition', `attachment; filename="soberana-${name}-${utcDate(deps.clock.now())}.${ext}"`);
          return sendEncoded(req, reply, body, ext === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/json; charset=utf-8');
        },
      };
    }));
  return routes;
}

/** Quote for a POSIX shell, readably: single quotes unless the text has one (hardened paths). */
export function shellQuote(s: string): string {
  if (!s.includes("'")) return `'${s}'`;
  return `"${s.replace(/["\\$`]/g, (c) => `\\${c}`)}"`;
}

const CLI_NETWORK: Record<string, string> = { main: '', test: ' -testnet', signet: ' -signet', regtest: ' -regtest' };

/** Plain-words steps with real commands a citizen can paste into a shell next to their own node. */
export function verificationSteps(v: PublicVerification): Array<{ title: string; text: string; commands: string[] }> {
  const net = CLI_NETWORK[v.network] ?? '';
  const descriptors = v.vaults.flatMap((x) => x.descriptors);
  const addresses = v.vaults.flatMap((x) => x.addresses);
  const scanItems = [...descriptors.map((d) => ({ desc: d, range: 1000 })), ...addresses.map((a) => `addr(${a})`)];
  const steps: Array<{ title: string; text: string; commands: string[] }> = [];
  steps.push({
    title: 'Run your own node',
    text: `Use your own Bitcoin Core node on the ${v.network} network, fully synced, so you trust no one's numbers but your own.`,
    commands: [`bitcoin-cli${net} getblockchaininfo`],
  });
  if (descriptors.length > 0) {
    steps.push({
      title: 'Check that the addresses belong to the published vaults',
      text: 'Each vault is described by a public output descriptor. Your node derives the same addresses from it as the ones listed on this page.',
      commands: descriptors.slice(0, 4).map((d) => `bitcoin-cli${net} deriveaddresses ${shellQuote(d)} '[0,19]'`),
    });
  }
  if (scanItems.length > 0) {
    steps.push({
      title: 'Add up the coins yourself',
      text: 'Ask your node for every unspent coin held by these descriptors and addresses. Compare "total_amount" with the confirmed total on this page at the same block height.',
      commands: [`bitcoin-cli${net} scantxoutset start ${shellQuote(JSON.stringify(scanItems))}`],
    });
  }
  steps.push({
    title: 'Or use Soberana itself',
    text: 'Soberana is open source. It derives the same addresses from each descriptor, offline.',
    commands: descriptors.slice(0, 4).map((d) => `soberana descriptor derive ${shellQuote(d)} --network ${v.network} --start 0 --count 20`),
  });
  return steps;
}
