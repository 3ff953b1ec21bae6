/**
 * Invoices: the exporter submits (one, or a CSV/JSON batch in one durable transaction), the
 * importer confirms or disputes — only the importer, identified by its token or `--as` — and a
 * member reads only the invoices it is party to.
 *
 * Idempotent by (exporter, reference): the same invoice again is the same invoice (`created:
 * false`); another amount (or importer, currency, due day) under a stored reference is
 * REFERENCE_CONFLICT and nothing of the batch is stored. Each invoice's parties are screened: a
 * match stores it `held` for a compliance officer.
 *
 * Audit: `settlement.invoice.submit` (one invoice), `settlement.invoice.import` (a batch: counts
 * and the SHA-256 of the file), `settlement.invoice.confirm` / `.dispute`.
 */
import { createHash } from 'node:crypto';
import { DomainError } from '../../core/errors.ts';
import { invoiceFromFields, parseInvoiceBatch } from '../../core/settlement/invoice-file.ts';
import type { InvoiceStatus, NewHold, NewInvoice, StoredInvoice, StoredMember } from '../../core/settlement/store-port.ts';
import { INVOICE_STATUSES } from '../../core/settlement/store-port.ts';
import type { SettlementActor, SettlementDeps } from './deps.ts';
import { mayRead } from './deps.ts';
import { screeningOf } from './screening.ts';

async function prepare(deps: SettlementDeps, by: SettlementActor, invoices: readonly NewInvoice[]): Promise<{ invoice: NewInvoice; hold: NewHold | null }[]> {
  const members = new Map<string, StoredMember>((await deps.settlement.members()).map((m) => [m.code, m]));
  const screening = await screeningOf(deps);
  const rowOf = (i: number): string => (invoices.length > 1 ? `row ${i + 1}: ` : '');
  const checkMember = (code: string, i: number): void => {
    const m = members.get(code);
    if (!m) throw new DomainError('NOT_FOUND', `${rowOf(i)}no alliance member "${code}"`, { row: i + 1 });
    if (m.status !== 'active') throw new DomainError('INVALID_STATE', `${rowOf(i)}member ${code} is ${m.status === 'held' ? 'held by screening' : 'rejected'}: it cannot trade through the alliance`, { row: i + 1 });
  };
  const out = new Array<{ invoice: NewInvoice; hold: NewHold | null }>(invoices.length);
  for (let i = 0; i < invoices.length; i++) {
    const invoice = invoices[i] as NewInvoice;
    if (by.member !== null && invoice.exporter !== by.member) {
      throw new DomainError('FORBIDDEN', `${rowOf(i)}member ${by.member} submits only its own exports (this invoice's exporter is ${invoice.exporter})`, { row: i + 1 });
    }
    checkMember(invoice.exporter, i);
    checkMember(invoice.importer, i);
    out[i] = { invoice, hold: screening ? screening.check({ names: [invoice.seller, invoice.buyer] }) : null };
  }
  return out;
}

/**
 * Submit one invoice (fields as typed: amount a decimal string in the currency's units).
 * @throws INVALID_ARGUMENT, INVALID_AMOUNT, UNKNOWN_CURRENCY, NOT_FOUND, FORBIDDEN (not the exporter), REFERENCE_CONFLICT
 * @example await submitInvoice(deps, slv, { reference: 'SV-2026-001', exporter: 'SLV', importer: 'RUS', amount: '1250.50', currency: 'USD', due: '2026-12-04' })
 */
export async function submitInvoice(deps: SettlementDeps, by: SettlementActor, fields: Readonly<Record<string, string | undefined>>): Promise<{ invoice: StoredInvoice; created: boolean }> {
  const invoice = invoiceFromFields(fields);
  const batch = await prepare(deps, by, [invoice]);
  const atMs = deps.now();
  const r = await deps.settlement.submitInvoices(batch, { actor: by.actor, atMs }, (res) => ({
    actor: by.actor, role: by.role, action: 'settlement.invoice.submit', object: `invoice:${invoice.exporter}/${invoice.reference}`, atMs,
    details: { exporter: invoice.exporter, importer: invoice.importer, reference: invoice.reference, amountMinor: invoice.amountMinor.toString(), currency: invoice.currency, due: invoice.dueDate, created: res.created === 1, held: res.held === 1 },
  }));
  const stored = await deps.settlement.invoice(invoice.exporter, invoice.reference);
  if (!stored) throw new TypeError('submitInvoice: the stored invoice is missing');
  return { invoice: stored, created: r.created === 1 };
}

/**
 * Import a batch (CSV or JSON text) in ONE transaction: all of it or, on any refusal, none.
 * @throws as submitInvoice, with the row
 */
export async function importInvoices(deps: SettlementDeps, by: SettlementActor, text: string, origin: string): Promise<{ rows: number; created: number; existing: number; held: number; sha256: string }> {
  const invoices = parseInvoiceBatch(text, origin);
  if (invoices.length === 0) throw new DomainError('INVALID_ARGUMENT', `${origin} holds no invoice`);
  const batch = await prepare(deps, by, invoices);
  // node:crypto's native SHA-256 of the UTF-8 text: the same digest as @noble/hashes, ~10× faster on a 10,000-row file
  const digest = createHash('sha256').update(text, 'utf8').digest('hex');
  const atMs = deps.now();
  const r = await deps.settlement.submitInvoices(batch, { actor: by.actor, atMs }, (res) => ({
    actor: by.actor, role: by.role, action: 'settlement.invoice.import', object: `invoices:${digest.slice(0, 16)}`, atMs, details: { origin, rows: invoices.length, ...res, sha256: digest },
  }));
  return { rows: invoices.length, ...r, sha256: digest };
}

/**
 * The importer confirms or disputes invoices (each `{ exporter, reference }`), in one transaction
 * that also moves the positions. Only a member acting for itself, and only as the importer.
 * @throws FORBIDDEN (not the importer; an administrator), NOT_FOUND, INVALID_STATE
 */
export async function decideInvoices(deps: SettlementDeps, by: SettlementActor, keys: readonly { exporter: string; reference: string }[], decision: 'confirm' | 'dispute', note?: string): Promise<{ decided: number }> {
  if (by.member === null) throw new DomainError('FORBIDDEN', `only the importer ${decision}s an invoice: act as the importing member (its token, or --as CODE)`);
  if (keys.length === 0) throw new DomainError('INVALID_ARGUMENT', `nothing to ${decision}`);
  const reason = note?.trim() ?? '';
  if (decision === 'dispute' && reason === '') throw new DomainError('INVALID_ARGUMENT', 'a dispute needs a reason (--reason)');
  if (reason.length > 500) throw new DomainError('INVALID_ARGUMENT', 'the reason is at most 500 characters');
  const atMs = deps.now();
  const one = keys.length === 1 ? keys[0] : undefined;
  const decided = await deps.settlement.decideInvoices(keys, decision, { importer: by.member, actor: by.actor, atMs, note: reason === '' ? null : reason }, (n) => ({
    actor: by.actor, role: by.role, action: `settlement.invoice.${decision}`, object: one ? `invoice:${one.exporter}/${one.reference}` : `invoices:${n}`, atMs,
    details: { importer: by.member, invoices: keys.slice(0, 100).map((k) => `${k.exporter}/${k.reference}`), count: n, ...(reason === '' ? {} : { reason }) },
  }));
  return { decided };
}

/** One invoice, if the actor may read it (NOT_FOUND otherwise: a member learns nothing of others' invoices). */
export async function showInvoice(deps: Pick<SettlementDeps, 'settlement'>, by: SettlementActor, exporter: string, reference: string): Promise<StoredInvoice> {
  const inv = await deps.settlement.invoice(exporter.trim(), reference.trim());
  if (!inv || !mayRead(by, [inv.exporter, inv.importer])) throw new DomainError('NOT_FOUND', `no invoice ${reference} from ${exporter}`);
  return inv;
}

export function parseInvoiceStatus(text: string): InvoiceStatus {
  const s = INVOICE_STATUSES.find((x) => x === text.trim().toLowerCase());
  if (!s) throw new DomainError('INVALID_ARGUMENT', `unknown invoice status "${text.slice(0, 20)}" (use ${INVOICE_STATUSES.join(', ')})`);
  return s;
}

/** Invoices the actor may read: a member only those it is party to. */
export async function listInvoices(deps: Pick<SettlementDeps, 'settlement'>, by: SettlementActor, filter: { member?: string | undefined; status?: InvoiceStatus | undefined; cycleId?: string | undefined; limit?: number | undefined } = {}): Promise<StoredInvoice[]> {
  if (by.member !== null && filter.member !== undefined && filter.member !== by.member) throw new DomainError('FORBIDDEN', `member ${by.member} reads only its own invoices`);
  return deps.settlement.invoices({ ...filter, member: by.member ?? filter.member });
}
