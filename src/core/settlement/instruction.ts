/**
 * Settlement instructions (issue #16 item 5): one file per net payer and cycle, telling its own
 * Soberana what to pay — one batched payment. In direct mode the payments go to the net receivers;
 * in escrow mode the one payment goes to the payer's pay-in address of the alliance vault. The
 * payer imports it with `soberana spend propose --from-instruction FILE`, so the payment goes
 * through that state's own policy and quorum.
 *
 * The file is JSON with a SHA-256 over its canonical body (every field but `sha256`, in the order
 * below, sats as decimal strings): a file edited by hand, truncated or mixed up is refused.
 *
 * ```json
 * {"format":"soberana-settlement-instruction","version":1,"network":"regtest","cycle":"2026-W01",
 *  "mode":"direct","payer":"RUS","payments":[{"member":"SLV","address":"bcrt1q…","sats":"1250000"}],
 *  "totalSats":"1250000","sha256":"…64 hex…"}
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { DomainError } from '../errors.ts';
import { MAX_MONEY, sats, type Sats } from '../money.ts';
import { NETWORKS, type Network } from '../network.ts';
import type { MemberCode } from './types.ts';

export const INSTRUCTION_FORMAT = 'soberana-settlement-instruction';
export const INSTRUCTION_VERSION = 1;
/** The member code escrow-mode payments name: the alliance vault. */
export const ALLIANCE_VAULT_MEMBER = 'ALLIANCE';
/** Largest instruction file read (bytes): far above any real alliance. */
export const MAX_INSTRUCTION_BYTES = 1_000_000;
const MAX_PAYMENTS = 1000;

export interface InstructionPayment {
  readonly member: MemberCode;
  readonly address: string;
  readonly sats: Sats;
}

export interface SettlementInstruction {
  readonly format: typeof INSTRUCTION_FORMAT;
  readonly version: typeof INSTRUCTION_VERSION;
  readonly network: Network;
  readonly cycle: string;
  readonly mode: 'direct' | 'escrow';
  readonly payer: MemberCode;
  readonly payments: readonly InstructionPayment[];
  readonly totalSats: Sats;
  readonly sha256: string;
}

const KEYS = ['format', 'version', 'network', 'cycle', 'mode', 'payer', 'payments', 'totalSats', 'sha256'] as const;
const PAYMENT_KEYS = ['member', 'address', 'sats'] as const;
const CODE = /^[A-Z][A-Z0-9_-]{1,15}$/;
const CYCLE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const ADDRESS = /^[A-Za-z0-9]{14,90}$/;

function canonicalBody(i: Omit<SettlementInstruction, 'sha256'>): string {
  return JSON.stringify({
    format: i.format, version: i.version, network: i.network, cycle: i.cycle, mode: i.mode, payer: i.payer,
    payments: i.payments.map((p) => ({ member: p.member, address: p.address, sats: p.sats.toString() })), totalSats: i.totalSats.toString(),
  });
}

/**
 * Build an instruction (with its total and hash) from its fields.
 * @example buildInstruction({ network: 'regtest', cycle: 'W01', mode: 'direct', payer: 'RUS', payments: [{ member: 'SLV', address, sats: 1000n as Sats }] })
 */
export function buildInstruction(fields: { network: Network; cycle: string; mode: 'direct' | 'escrow'; payer: MemberCode; payments: readonly InstructionPayment[] }): SettlementInstruction {
  if (!CYCLE.test(fields.cycle)) throw new RangeError(`buildInstruction: "cycle" is not a cycle id: ${JSON.stringify(fields.cycle)}`);
  if (!CODE.test(fields.payer)) throw new RangeError(`buildInstruction: "payer" is not a member code: ${JSON.stringify(fields.payer)}`);
  if (fields.payments.length === 0) throw new RangeError('buildInstruction: no payments');
  let total = 0n;
  for (const p of fields.payments) {
    if (typeof p.sats !== 'bigint' || p.sats <= 0n) throw new RangeError(`buildInstruction: payment to ${p.member} expected positive bigint sats`);
    total += p.sats;
  }
  const body = { format: INSTRUCTION_FORMAT, version: INSTRUCTION_VERSION, network: fields.network, cycle: fields.cycle, mode: fields.mode, payer: fields.payer, payments: fields.payments.map((p) => ({ ...p })), totalSats: sats(total, 'instruction total') } as const;
  return { ...body, sha256: bytesToHex(sha256(utf8ToBytes(canonicalBody(body)))) };
}

/** The file's text: pretty JSON (sats as strings) and a final newline. */
export function serializeInstruction(i: SettlementInstruction): string {
  const obj = {
    format: i.format, version: i.version, network: i.network, cycle: i.cycle, mode: i.mode, payer: i.payer,
    payments: i.payments.map((p) => ({ member: p.member, address: p.address, sats: p.sats.toString() })), totalSats: i.totalSats.toString(), sha256: i.sha256,
  };
  return `${JSON.stringify(obj, null, 2)}\n`;
}

function refuse(message: string): never {
  throw new DomainError('INVALID_IMPORT', `settlement instruction: ${message}`);
}

function exactKeys(o: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) refuse(`unknown field "${k.slice(0, 40)}" in ${where}`);
  for (const k of keys) if (!(k in o)) refuse(`missing field "${k}" in ${where}`);
}

function str(v: unknown, re: RegExp, what: string): string {
  if (typeof v !== 'string' || !re.test(v)) refuse(`${what} is not valid: ${JSON.stringify(v)?.slice(0, 80) ?? 'undefined'}`);
  return v;
}

function satsString(v: unknown, what: string): Sats {
  if (typeof v !== 'string' || !/^[1-9][0-9]{0,15}$/.test(v)) refuse(`${what} must be a positive whole number of sats as a string, got ${JSON.stringify(v)?.slice(0, 40) ?? 'undefined'}`);
  const n = BigInt(v);
  if (n > MAX_MONEY) refuse(`${what} is above 21 million BTC`);
  return sats(n, what);
}

/**
 * Parse an instruction file strictly: exact fields, known format and version, member codes,
 * positive sats strings, at least one payment, no member paid twice, the payer never paid, the
 * total and the SHA-256 matching. Addresses are checked for shape here; the network of each is
 * checked by the importer against its own network (`paymentScript`).
 * @throws DomainError INVALID_IMPORT with one line saying what is wrong
 */
export function parseInstruction(text: string): SettlementInstruction {
  if (text.length > MAX_INSTRUCTION_BYTES) refuse(`the file is larger than ${MAX_INSTRUCTION_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    refuse('the file is not JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) refuse('the file is not a JSON object');
  const o = raw as Record<string, unknown>;
  exactKeys(o, KEYS, 'the instruction');
  if (o.format !== INSTRUCTION_FORMAT) refuse(`"format" must be "${INSTRUCTION_FORMAT}"`);
  if (o.version !== INSTRUCTION_VERSION) refuse(`version ${JSON.stringify(o.version)?.slice(0, 20) ?? '?'} is not supported (this Soberana reads version ${INSTRUCTION_VERSION})`);
  if (typeof o.network !== 'string' || !(NETWORKS as readonly string[]).includes(o.network)) refuse(`unknown network ${JSON.stringify(o.network)?.slice(0, 20) ?? '?'}`);
  const network = o.network as Network;
  const cycle = str(o.cycle, CYCLE, '"cycle"');
  if (o.mode !== 'direct' && o.mode !== 'escrow') refuse('"mode" must be "direct" or "escrow"');
  const payer = str(o.payer, CODE, '"payer"');
  if (!Array.isArray(o.payments) || o.payments.length === 0) refuse('"payments" must be a non-empty list');
  if (o.payments.length > MAX_PAYMENTS) refuse(`more than ${MAX_PAYMENTS} payments`);
  const members = new Set<string>();
  const payments: InstructionPayment[] = (o.payments as unknown[]).map((p, i) => {
    if (p === null || typeof p !== 'object' || Array.isArray(p)) refuse(`payment ${i + 1} is not an object`);
    const q = p as Record<string, unknown>;
    exactKeys(q, PAYMENT_KEYS, `payment ${i + 1}`);
    const member = str(q.member, CODE, `payment ${i + 1} "member"`);
    if (member === payer) refuse(`payment ${i + 1} pays the payer ${payer} itself`);
    if (members.has(member)) refuse(`${member} is paid twice`);
    members.add(member);
    return { member, address: str(q.address, ADDRESS, `payment ${i + 1} "address"`), sats: satsString(q.sats, `payment ${i + 1} "sats"`) };
  });
  if (o.mode === 'escrow' && (payments.length !== 1 || payments[0]?.member !== ALLIANCE_VAULT_MEMBER)) refuse(`an escrow instruction has exactly one payment, to ${ALLIANCE_VAULT_MEMBER}`);
  const totalSats = satsString(o.totalSats, '"totalSats"');
  const sum = payments.reduce((s, p) => s + p.sats, 0n);
  if (sum !== totalSats) refuse(`"totalSats" is ${totalSats} but the payments add up to ${sum}`);
  if (typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)) refuse('"sha256" must be 64 lower-case hex digits');
  const body = { format: INSTRUCTION_FORMAT, version: INSTRUCTION_VERSION, network, cycle, mode: o.mode, payer, payments, totalSats } as const;
  const hash = bytesToHex(sha256(utf8ToBytes(canonicalBody(body))));
  if (hash !== o.sha256) refuse('the SHA-256 does not match the contents (the file was changed or damaged)');
  return { ...body, sha256: hash };
}
