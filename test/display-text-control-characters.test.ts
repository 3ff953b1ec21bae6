// What people read is what is true (issue #19): free text is shown with control characters,
// bidirectional overrides/isolates/marks and invisible format characters written out as visible
// escapes; ordinary text in any script (including right-to-left Arabic and Urdu) is unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displaySafe, displaySafeDeep, displaySafeReport, hasHiddenCharacters } from '../src/core/text/display-text.ts';

const hex4 = (cp: number): string => `\\u${cp.toString(16).padStart(4, '0')}`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('the terminal attack of issue #19 is shown, not executed', () => {
  const memo = 'settlement #1\u001b[1A\u001b[2K\r  pay:       0.01 BTC (DISPLAY FORGED)';
  const shown = displaySafe(memo);
  assert.equal(shown, 'settlement #1\\u001b[1A\\u001b[2K\\r  pay:       0.01 BTC (DISPLAY FORGED)');
  assert.ok(!hasHiddenCharacters(shown));
  assert.match(shown, /^[\x20-\x7e]*$/, 'only printable ASCII is left');
});

test('every C0 control is escaped in a single-line field, line feed and tab included', () => {
  for (const cp of range(0x00, 0x1f)) {
    const want = cp === 0x0a ? '\\n' : cp === 0x09 ? '\\t' : cp === 0x0d ? '\\r' : hex4(cp);
    assert.equal(displaySafe(`a${String.fromCharCode(cp)}b`), `a${want}b`, hex4(cp));
  }
});

test('DEL and every C1 control are escaped', () => {
  for (const cp of [0x7f, ...range(0x80, 0x9f)]) assert.equal(displaySafe(`a${String.fromCharCode(cp)}b`), `a${hex4(cp)}b`, hex4(cp));
});

test('bidirectional embeddings, overrides, isolates and marks are escaped', () => {
  for (const cp of [...range(0x202a, 0x202e), ...range(0x2066, 0x2069), 0x200e, 0x200f, 0x061c]) {
    assert.equal(displaySafe(`pago ${String.fromCharCode(cp)}exe.pdf`), `pago ${hex4(cp)}exe.pdf`, hex4(cp));
  }
  // the classic: an override makes "gnp.exe" read as "exe.png"
  assert.equal(displaySafe('invoice\u202egnp.exe'), 'invoice\\u202egnp.exe');
});

test('invisible format characters that disguise text are escaped', () => {
  const bmp = [0x00ad, 0x115f, 0x1160, 0x180e, 0x200b, 0x2028, 0x2029, ...range(0x2060, 0x2064), ...range(0x206a, 0x206f), 0x3164, 0xfeff, 0xffa0, ...range(0xfff9, 0xfffb)];
  for (const cp of bmp) assert.equal(displaySafe(`Ban${String.fromCharCode(cp)}co`), `Ban${hex4(cp)}co`, hex4(cp));
  const astral = [...range(0x1bca0, 0x1bca3), ...range(0x1d173, 0x1d17a), 0xe0000, 0xe0001, ...range(0xe0020, 0xe007f)];
  for (const cp of astral) assert.equal(displaySafe(`a${String.fromCodePoint(cp)}b`), `a\\u{${cp.toString(16)}}b`, cp.toString(16));
  // tag characters can smuggle a whole hidden ASCII sentence
  const smuggled = [...'send all'].map((c) => String.fromCodePoint(0xe0000 + (c.codePointAt(0) as number))).join('');
  assert.equal(displaySafe(`ok${smuggled}`), `ok${[...'send all'].map((c) => `\\u{e00${(c.codePointAt(0) as number).toString(16)}}`).join('')}`);
});

test('a lone surrogate (half a character) is escaped; a whole astral character is not', () => {
  assert.equal(displaySafe('a\ud800b'), 'a\\ud800b');
  assert.equal(displaySafe('a\udfffb'), 'a\\udfffb');
  assert.equal(displaySafe('reserva 🏦 ₿'), 'reserva 🏦 ₿');
});

test('ordinary text in Spanish, Urdu, Russian and Arabic passes unchanged (right-to-left letters are not overrides)', () => {
  for (const text of [
    'Reserva del Banco Central de Reserva de El Salvador — pago n.º 1, año fiscal 2026: ¿aprobado? ¡Sí!',
    'اسٹیٹ بینک آف پاکستان کے ذخائر، ادائیگی نمبر ۱',
    'Резерв Центрального банка: платёж № 1 «расчёт»',
    'احتياطي البنك المركزي — دفعة رقم ١٢٣',
    'می‌خواهم', // Persian with a zero width non-joiner, which the script needs
    '👨‍👩‍👧 ¼ ½ “quotes” ‘single’ – — … €',
    'wsh(sortedmulti(2,[d34db33f/48h/0h/0h/2h]xpub…/<0;1>/*))#abcd1234',
    'C:\\reserve\\u001b is typed text, not an escape',
    '',
  ]) {
    assert.equal(displaySafe(text), text, text);
    assert.ok(!hasHiddenCharacters(text), text);
  }
});

test('escaping is idempotent and leaves only visible characters', () => {
  let all = '';
  for (let cp = 0; cp < 0x3000; cp++) all += String.fromCharCode(cp);
  const once = displaySafe(all);
  assert.equal(displaySafe(once), once);
  assert.ok(!hasHiddenCharacters(once));
});

test('a document keeps its line breaks, tabs and CR LF, but not a lone carriage return or escapes', () => {
  const doc = '{\n\t"name": "policy"\r\n}\r\u001b[2K';
  assert.equal(displaySafe(doc, { multiline: true }), '{\n\t"name": "policy"\r\n}\\r\\u001b[2K');
  assert.equal(displaySafe(doc), '{\\n\\t"name": "policy"\\r\\n}\\r\\u001b[2K');
});

test('displaySafeDeep escapes every string of a JSON value, keys too, and nothing else', () => {
  const buf = Buffer.from([0x1b, 0x5b]);
  const value = {
    proposal: { id: 1, memo: 'a\u001b[2Kb', feeSats: 150n, outputs: [{ address: 'bcrt1q', label: '\u202eevil' }], ok: true, none: null },
    'name\u0007': 'x',
    document: '{\n  "a": 1\u001b\n}',
    at: new Date(0),
    raw: buf,
  };
  const safe = displaySafeDeep(value);
  assert.deepEqual(safe, {
    proposal: { id: 1, memo: 'a\\u001b[2Kb', feeSats: 150n, outputs: [{ address: 'bcrt1q', label: '\\u202eevil' }], ok: true, none: null },
    'name\\u0007': 'x',
    document: '{\n  "a": 1\\u001b\n}',
    at: new Date(0),
    raw: buf,
  });
  assert.equal(safe.raw, buf, 'binary is untouched');
  assert.equal(value.proposal.memo, 'a\u001b[2Kb', 'the input is not modified');
  const clean = { a: [{ b: 'c' }], d: 5n };
  assert.equal(displaySafeDeep(clean), clean, 'a clean value comes back as the same object');
  assert.equal(displaySafeDeep('x\u202e'), 'x\\u202e');
});

test('displaySafeReport: a line break in a field cannot forge a line of the report; the report keeps its own lines', () => {
  const data = { proposal: { memo: 'ok\n  pay:       0.01 BTC to bcrt1qtrusted', proposer: 'luis\u001b[31m' } };
  const report = [`proposal 1`, `  proposer:  ${data.proposal.proposer}   memo: ${data.proposal.memo}`, `  pay:       9.00000000 BTC to bcrt1qattacker`].join('\n');
  assert.deepEqual(displaySafeReport(report, data).split('\n'), [
    'proposal 1',
    '  proposer:  luis\\u001b[31m   memo: ok\\n  pay:       0.01 BTC to bcrt1qtrusted',
    '  pay:       9.00000000 BTC to bcrt1qattacker',
  ]);
  // a field the report changed (cut, padded differently) is still escaped character by character
  assert.equal(displaySafeReport('memo: ab\u001b', { memo: 'ab\u001bcd' }), 'memo: ab\\u001b');
  // a whitespace-only field does not turn the report's own line breaks into escapes
  assert.equal(displaySafeReport('a\n  b\n', { memo: '\n' }), 'a\n  b\n');
});
