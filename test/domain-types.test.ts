// Domain types where mixing them up would cost money are branded: an amount is `Sats`, a
// transaction id `Txid`, a vault id `VaultId`, a spend proposal id `ProposalId`. Only their
// constructors make them; a plain bigint, string or number is not assignable (checked by tsc
// through the @ts-expect-error lines below, which fail to compile if the brand becomes optional).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MONEY, parseAmount, parseBtc, sats, sumSats, type Sats } from '../src/core/money.ts';
import { parseProposalId, parseTxid, parseVaultId, proposalId, txid, vaultId, type ProposalId, type Txid, type VaultId } from '../src/core/ids.ts';
import { DomainError } from '../src/core/errors.ts';

const TXID = '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b';
const isInvalidArgument = (e: unknown): boolean => e instanceof DomainError && e.code === 'INVALID_ARGUMENT';

test('sats() accepts 0..MAX_MONEY and refuses the rest with a labelled RangeError', () => {
  assert.equal(sats(0n), 0n);
  assert.equal(sats(MAX_MONEY), MAX_MONEY);
  assert.throws(() => sats(-1n, 'change'), { name: 'RangeError', message: '"change" out of range: -1' });
  assert.throws(() => sats(MAX_MONEY + 1n), RangeError);
  assert.throws(() => sats(1 as unknown as bigint, 'fee'), { name: 'TypeError', message: '"fee" expected bigint, got number' });
  assert.equal(sumSats([sats(1n), sats(2n)]), 3n);
  assert.throws(() => sumSats([MAX_MONEY, sats(1n)]), RangeError);
  assert.equal(parseAmount('1000sat'), 1000n);
  assert.equal(parseBtc('1.5'), 150_000_000n);
});

test('txid() takes 64 lowercase hex digits; parseTxid() tidies user input and refuses with INVALID_ARGUMENT', () => {
  assert.equal(txid(TXID), TXID);
  assert.throws(() => txid(TXID.toUpperCase()), TypeError);
  assert.throws(() => txid(TXID.slice(1), 'input txid'), { name: 'TypeError', message: /"input txid"/ });
  assert.equal(parseTxid(` ${TXID.toUpperCase()} `), TXID);
  assert.throws(() => parseTxid('abc'), isInvalidArgument);
  assert.throws(() => parseTxid(`${TXID}00`), isInvalidArgument);
});

test('vaultId() and parseVaultId() take 1..64 characters without control characters', () => {
  assert.equal(vaultId('central-bank-reserve'), 'central-bank-reserve');
  assert.throws(() => vaultId(''), TypeError);
  assert.throws(() => vaultId('x'.repeat(65)), TypeError);
  assert.equal(parseVaultId('reserve'), 'reserve');
  assert.throws(() => parseVaultId(''), isInvalidArgument);
  assert.throws(() => parseVaultId('a\nb'), isInvalidArgument);
});

test('proposalId() takes a positive safe integer; parseProposalId() refuses user input with INVALID_ARGUMENT', () => {
  assert.equal(proposalId(7), 7);
  assert.throws(() => proposalId(0), RangeError);
  assert.throws(() => proposalId(1.5), RangeError);
  assert.throws(() => proposalId(Number.MAX_SAFE_INTEGER + 1), RangeError);
  assert.equal(parseProposalId(' 12 '), 12);
  assert.throws(() => parseProposalId('0'), isInvalidArgument);
  assert.throws(() => parseProposalId('-3'), isInvalidArgument);
  assert.throws(() => parseProposalId('1e3'), isInvalidArgument);
});

test('a plain bigint, string or number is not a Sats, Txid, VaultId or ProposalId (compile-time)', () => {
  const plainBigint: bigint = 1000n;
  const plainString: string = TXID;
  const plainNumber: number = 7;
  // @ts-expect-error a bigint is not an amount until sats() checked it
  const a: Sats = plainBigint;
  // @ts-expect-error a string is not a txid until txid() checked it
  const t: Txid = plainString;
  // @ts-expect-error a string is not a vault id
  const v: VaultId = plainString;
  // @ts-expect-error a number is not a proposal id
  const p: ProposalId = plainNumber;
  // @ts-expect-error one kind of id is not another
  const v2: VaultId = txid(TXID);
  // @ts-expect-error the sum of two amounts is a plain bigint until sats() checks it
  const s: Sats = sats(1n) + sats(2n);
  // The brands are still their primitives: an amount is usable as a bigint, an id as a string or number.
  const asBigint: bigint = sats(1n);
  const asString: string = txid(TXID);
  const asNumber: number = proposalId(1);
  assert.deepEqual([a, t, v, p, v2, s, asBigint, asString, asNumber], [1000n, TXID, TXID, 7, TXID, 3n, 1n, TXID, 1]);
});
