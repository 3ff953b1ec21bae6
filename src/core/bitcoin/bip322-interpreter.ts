/**
 * A small Bitcoin Script interpreter for BIP-322 verification: legacy, P2SH, segwit v0 and
 * taproot (key path and tapscript), with the rules BIP-322 requires (SIGHASH_ALL only, LOW_S,
 * STRICTENC, NULLFAIL, NULLDUMMY, MINIMALDATA, MINIMALIF, CLEANSTACK, no CODESEPARATOR, no
 * upgradable NOPs or witness versions). It covers the opcodes miniscript and standard
 * templates use; anything else fails (the BIP's "inconclusive" is reported as a failure).
 *
 * Written by hand because no pure library in the project interprets Script. The cryptography
 * is not: sighashes come from bitcoinjs-lib's Transaction, signature checks from
 * @bitcoinerlab/secp256k1, hashes from @noble/hashes. Tested against the BIP-322 vectors and
 * against bcoin's consensus interpreter as an oracle (test/bitcoin/bip322.test.ts).
 */
import { Transaction, script as bScript } from 'bitcoinjs-lib';
import * as ecc from '@bitcoinerlab/secp256k1';
import { sha256 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';

/** Why a script failed; an internal signal that callers turn into a DomainError. */
export class ScriptFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScriptFailure';
  }
}

function fail(message: string): never {
  throw new ScriptFailure(message);
}

/** The output an input spends. */
export interface Prevout {
  script: Uint8Array;
  value: bigint;
}

const SIGVERSION = { BASE: 0, WITNESS_V0: 1, TAPSCRIPT: 2 } as const;
type SigVersion = (typeof SIGVERSION)[keyof typeof SIGVERSION];

const OP = {
  OP_0: 0x00, PUSHDATA1: 0x4c, PUSHDATA2: 0x4d, PUSHDATA4: 0x4e, OP_1NEGATE: 0x4f, OP_1: 0x51, OP_16: 0x60,
  NOP: 0x61, IF: 0x63, NOTIF: 0x64, ELSE: 0x67, ENDIF: 0x68, VERIFY: 0x69, RETURN: 0x6a,
  TOALTSTACK: 0x6b, FROMALTSTACK: 0x6c, IFDUP: 0x73, DEPTH: 0x74, DROP: 0x75, DUP: 0x76, NIP: 0x77, OVER: 0x78, SWAP: 0x7c,
  SIZE: 0x82, EQUAL: 0x87, EQUALVERIFY: 0x88,
  ADD1: 0x8b, SUB1: 0x8c, NOT: 0x91, NOTEQUAL0: 0x92, ADD: 0x93, SUB: 0x94, BOOLAND: 0x9a, BOOLOR: 0x9b,
  NUMEQUAL: 0x9c, NUMEQUALVERIFY: 0x9d, NUMNOTEQUAL: 0x9e, LESSTHAN: 0x9f, GREATERTHAN: 0xa0,
  LESSTHANOREQUAL: 0xa1, GREATERTHANOREQUAL: 0xa2, MIN: 0xa3, MAX: 0xa4, WITHIN: 0xa5,
  RIPEMD160: 0xa6, SHA256: 0xa8, HASH160: 0xa9, HASH256: 0xaa, CODESEPARATOR: 0xab,
  CHECKSIG: 0xac, CHECKSIGVERIFY: 0xad, CHECKMULTISIG: 0xae, CHECKMULTISIGVERIFY: 0xaf,
  CHECKLOCKTIMEVERIFY: 0xb1, CHECKSEQUENCEVERIFY: 0xb2, CHECKSIGADD: 0xba,
} as const;

const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** BIP340 tagged hash: sha256(sha256(tag) ‖ sha256(tag) ‖ msg). */
export function taggedHash(tag: string, msg: Uint8Array): Uint8Array {
  const t = sha256(new TextEncoder().encode(tag));
  return sha256(concat(t, t, msg));
}

function castToBool(v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== 0) return !(i === v.length - 1 && v[i] === 0x80);
  }
  return false;
}

function decodeNum(v: Uint8Array, maxLen = 4): bigint {
  if (v.length > maxLen) fail('script number overflow');
  if (v.length === 0) return 0n;
  const last = v[v.length - 1] ?? 0;
  if ((last & 0x7f) === 0 && (v.length === 1 || ((v[v.length - 2] ?? 0) & 0x80) === 0)) fail('non-minimal script number');
  let r = 0n;
  for (let i = 0; i < v.length; i++) r |= BigInt(v[i] ?? 0) << BigInt(8 * i);
  if (last & 0x80) return -(r & ~(0x80n << BigInt(8 * (v.length - 1))));
  return r;
}

function encodeNum(n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array();
  const neg = n < 0n;
  let a = neg ? -n : n;
  const out: number[] = [];
  while (a > 0n) {
    out.push(Number(a & 0xffn));
    a >>= 8n;
  }
  if ((out[out.length - 1] ?? 0) & 0x80) out.push(neg ? 0x80 : 0);
  else if (neg) out[out.length - 1] = (out[out.length - 1] ?? 0) | 0x80;
  return Uint8Array.from(out);
}

/** One instruction: an opcode, with its pushed data for push opcodes. */
interface Instr {
  op: number;
  data?: Uint8Array;
}

function parseScript(s: Uint8Array): Instr[] {
  const out: Instr[] = [];
  let p = 0;
  while (p < s.length) {
    const op = s[p++] ?? 0;
    if (op > 0 && op <= OP.PUSHDATA4) {
      let len: number;
      if (op < OP.PUSHDATA1) len = op;
      else if (op === OP.PUSHDATA1) len = s[p++] ?? fail('truncated push');
      else if (op === OP.PUSHDATA2) {
        if (p + 2 > s.length) fail('truncated push');
        len = (s[p] ?? 0) | ((s[p + 1] ?? 0) << 8);
        p += 2;
      } else {
        if (p + 4 > s.length) fail('truncated push');
        len = ((s[p] ?? 0) | ((s[p + 1] ?? 0) << 8) | ((s[p + 2] ?? 0) << 16) | ((s[p + 3] ?? 0) << 24)) >>> 0;
        p += 4;
      }
      if (p + len > s.length) fail('truncated push');
      const data = s.subarray(p, p + len);
      p += len;
      // MINIMALDATA
      if (len === 0 && op !== OP.OP_0) fail('non-minimal push');
      if (len === 1 && ((data[0] ?? 0) >= 1 && (data[0] ?? 0) <= 16)) fail('non-minimal push');
      if (len === 1 && data[0] === 0x81) fail('non-minimal push');
      if (len < OP.PUSHDATA1 && op !== len) fail('non-minimal push');
      if (op === OP.PUSHDATA1 && len < OP.PUSHDATA1) fail('non-minimal push');
      if (op === OP.PUSHDATA2 && len <= 0xff) fail('non-minimal push');
      if (op === OP.PUSHDATA4) fail('non-minimal push');
      out.push({ op, data });
    } else out.push({ op });
  }
  return out;
}

function isPushOnly(s: Uint8Array): boolean {
  return parseScript(s).every((i) => i.op <= OP.OP_16);
}

interface Ctx {
  tx: Transaction;
  index: number;
  prevouts: readonly Prevout[];
  leafHash?: Uint8Array;
}

function checkDerSignature(sigWithType: Uint8Array): { sig64: Uint8Array; hashType: number } {
  let decoded: { signature: Uint8Array; hashType: number };
  try {
    decoded = bScript.signature.decode(sigWithType);
  } catch {
    fail('signature is not strict DER');
  }
  if (decoded.hashType !== Transaction.SIGHASH_ALL) fail('signature is not SIGHASH_ALL');
  let s = 0n;
  for (const b of decoded.signature.subarray(32)) s = (s << 8n) | BigInt(b);
  if (s > HALF_ORDER) fail('signature S value is not low');
  return { sig64: decoded.signature, hashType: decoded.hashType };
}

function checkEcdsa(sig: Uint8Array, pubkey: Uint8Array, scriptCode: Uint8Array, ctx: Ctx, sv: SigVersion): boolean {
  if (sig.length === 0) return false;
  const { sig64, hashType } = checkDerSignature(sig);
  const compressed = pubkey.length === 33 && (pubkey[0] === 2 || pubkey[0] === 3);
  const uncompressed = pubkey.length === 65 && pubkey[0] === 4;
  if (!compressed && !(uncompressed && sv === SIGVERSION.BASE)) fail('public key is not strictly encoded');
  const prev = ctx.prevouts[ctx.index] ?? fail('missing prevout');
  const hash = sv === SIGVERSION.BASE ? ctx.tx.hashForSignature(ctx.index, scriptCode, hashType) : ctx.tx.hashForWitnessV0(ctx.index, scriptCode, prev.value, hashType);
  let ok: boolean;
  try {
    ok = ecc.verify(hash, pubkey, sig64, true);
  } catch {
    ok = false;
  }
  if (!ok) fail('signature does not verify (NULLFAIL)');
  return true;
}

function checkSchnorr(sig: Uint8Array, pubkey: Uint8Array, ctx: Ctx): boolean {
  if (sig.length === 0) return false;
  if (pubkey.length !== 32) fail('unknown public key type in tapscript');
  let hashType = Transaction.SIGHASH_DEFAULT;
  let sig64 = sig;
  if (sig.length === 65) {
    hashType = sig[64] ?? 0;
    if (hashType !== Transaction.SIGHASH_ALL) fail('signature is not SIGHASH_ALL');
    sig64 = sig.subarray(0, 64);
  } else if (sig.length !== 64) fail('schnorr signature has a wrong size');
  const hash = ctx.tx.hashForWitnessV1(ctx.index, ctx.prevouts.map((p) => p.script), ctx.prevouts.map((p) => p.value), hashType, ctx.leafHash);
  let ok: boolean;
  try {
    ok = ecc.verifySchnorr(hash, pubkey, sig64);
  } catch {
    ok = false;
  }
  if (!ok) fail('schnorr signature does not verify');
  return true;
}

function evalScript(script: Uint8Array, stack: Uint8Array[], ctx: Ctx, sv: SigVersion): void {
  const instrs = parseScript(script);
  const exec: boolean[] = [];
  const alt: Uint8Array[] = [];
  const pop = (): Uint8Array => stack.pop() ?? fail('stack underflow');
  const top = (): Uint8Array => stack[stack.length - 1] ?? fail('stack underflow');
  const num = (): bigint => decodeNum(pop());
  let nonPushOps = 0;
  for (const ins of instrs) {
    const executing = exec.every((x) => x);
    const op = ins.op;
    if (op > OP.OP_16 && sv !== SIGVERSION.TAPSCRIPT && ++nonPushOps > 201) fail('too many operations');
    if (op === OP.CODESEPARATOR) fail('OP_CODESEPARATOR is forbidden');
    if (op === OP.IF || op === OP.NOTIF) {
      let v = false;
      if (executing) {
        const c = pop();
        if (c.length > 1 || (c.length === 1 && c[0] !== 1)) fail('MINIMALIF: IF argument must be empty or 0x01');
        v = castToBool(c) === (op === OP.IF);
      }
      exec.push(v);
      continue;
    }
    if (op === OP.ELSE) {
      if (exec.length === 0) fail('ELSE without IF');
      exec[exec.length - 1] = !exec[exec.length - 1];
      continue;
    }
    if (op === OP.ENDIF) {
      if (exec.length === 0) fail('ENDIF without IF');
      exec.pop();
      continue;
    }
    if (!executing) continue;
    if (ins.data !== undefined) {
      stack.push(ins.data);
      continue;
    }
    if (op === OP.OP_0) stack.push(new Uint8Array());
    else if (op === OP.OP_1NEGATE) stack.push(Uint8Array.of(0x81));
    else if (op >= OP.OP_1 && op <= OP.OP_16) stack.push(Uint8Array.of(op - 0x50));
    else {
      switch (op) {
        case OP.NOP:
          break;
        case OP.VERIFY:
          if (!castToBool(pop())) fail('VERIFY failed');
          break;
        case OP.RETURN:
          fail('OP_RETURN');
          break;
        case OP.TOALTSTACK:
          alt.push(pop());
          break;
        case OP.FROMALTSTACK:
          stack.push(alt.pop() ?? fail('alt stack underflow'));
          break;
        case OP.IFDUP:
          if (castToBool(top())) stack.push(top());
          break;
        case OP.DEPTH:
          stack.push(encodeNum(BigInt(stack.length)));
          break;
        case OP.DROP:
          pop();
          break;
        case OP.DUP:
          stack.push(top());
          break;
        case OP.NIP: {
          const a = pop();
          pop();
          stack.push(a);
          break;
        }
        case OP.OVER: {
          const v = stack[stack.length - 2] ?? fail('stack underflow');
          stack.push(v);
          break;
        }
        case OP.SWAP: {
          const a = pop();
          const b = pop();
          stack.push(a, b);
          break;
        }
        case OP.SIZE:
          stack.push(encodeNum(BigInt(top().length)));
          break;
        case OP.EQUAL:
        case OP.EQUALVERIFY: {
          const eq = equalBytes(pop(), pop());
          if (op === OP.EQUALVERIFY) {
            if (!eq) fail('EQUALVERIFY failed');
          } else stack.push(eq ? Uint8Array.of(1) : new Uint8Array());
          break;
        }
        case OP.ADD1:
        case OP.SUB1:
        case OP.NOT:
        case OP.NOTEQUAL0: {
          const a = num();
          const r = op === OP.ADD1 ? a + 1n : op === OP.SUB1 ? a - 1n : op === OP.NOT ? (a === 0n ? 1n : 0n) : a !== 0n ? 1n : 0n;
          stack.push(encodeNum(r));
          break;
        }
        case OP.ADD:
        case OP.SUB:
        case OP.BOOLAND:
        case OP.BOOLOR:
        case OP.NUMEQUAL:
        case OP.NUMEQUALVERIFY:
        case OP.NUMNOTEQUAL:
        case OP.LESSTHAN:
        case OP.GREATERTHAN:
        case OP.LESSTHANOREQUAL:
        case OP.GREATERTHANOREQUAL:
        case OP.MIN:
        case OP.MAX: {
          const b = num();
          const a = num();
          const t = (x: boolean): bigint => (x ? 1n : 0n);
          const r =
            op === OP.ADD ? a + b : op === OP.SUB ? a - b : op === OP.BOOLAND ? t(a !== 0n && b !== 0n) : op === OP.BOOLOR ? t(a !== 0n || b !== 0n)
              : op === OP.NUMEQUAL || op === OP.NUMEQUALVERIFY ? t(a === b) : op === OP.NUMNOTEQUAL ? t(a !== b) : op === OP.LESSTHAN ? t(a < b)
                : op === OP.GREATERTHAN ? t(a > b) : op === OP.LESSTHANOREQUAL ? t(a <= b) : op === OP.GREATERTHANOREQUAL ? t(a >= b)
                  : op === OP.MIN ? (a < b ? a : b) : a > b ? a : b;
          if (op === OP.NUMEQUALVERIFY) {
            if (r === 0n) fail('NUMEQUALVERIFY failed');
          } else stack.push(encodeNum(r));
          break;
        }
        case OP.WITHIN: {
          const max = num();
          const min = num();
          const x = num();
          stack.push(encodeNum(min <= x && x < max ? 1n : 0n));
          break;
        }
        case OP.RIPEMD160:
          stack.push(ripemd160(pop()));
          break;
        case OP.SHA256:
          stack.push(sha256(pop()));
          break;
        case OP.HASH160:
          stack.push(ripemd160(sha256(pop())));
          break;
        case OP.HASH256:
          stack.push(sha256(sha256(pop())));
          break;
        case OP.CHECKSIG:
        case OP.CHECKSIGVERIFY: {
          const pubkey = pop();
          const sig = pop();
          const ok = sv === SIGVERSION.TAPSCRIPT ? checkSchnorr(sig, pubkey, ctx) : checkEcdsa(sig, pubkey, script, ctx, sv);
          if (op === OP.CHECKSIGVERIFY) {
            if (!ok) fail('CHECKSIGVERIFY failed');
          } else stack.push(ok ? Uint8Array.of(1) : new Uint8Array());
          break;
        }
        case OP.CHECKSIGADD: {
          if (sv !== SIGVERSION.TAPSCRIPT) fail('OP_CHECKSIGADD outside tapscript');
          const pubkey = pop();
          const n = decodeNum(pop());
          const sig = pop();
          stack.push(encodeNum(n + (checkSchnorr(sig, pubkey, ctx) ? 1n : 0n)));
          break;
        }
        case OP.CHECKMULTISIG:
        case OP.CHECKMULTISIGVERIFY: {
          if (sv === SIGVERSION.TAPSCRIPT) fail('CHECKMULTISIG is disabled in tapscript');
          const n = Number(num());
          if (n < 0 || n > 20) fail('bad key count');
          nonPushOps += n;
          const keys: Uint8Array[] = [];
          for (let i = 0; i < n; i++) keys.push(pop());
          const m = Number(num());
          if (m < 0 || m > n) fail('bad signature count');
          const sigs: Uint8Array[] = [];
          for (let i = 0; i < m; i++) sigs.push(pop());
          if (pop().length !== 0) fail('NULLDUMMY: dummy element must be empty');
          // keys and sigs were popped top-first, which is the order CHECKMULTISIG walks them
          let ki = 0;
          let si = 0;
          let ok = true;
          while (si < sigs.length) {
            const sig = sigs[si] ?? new Uint8Array();
            const key = keys[ki];
            if (!key || sigs.length - si > keys.length - ki) {
              ok = false;
              break;
            }
            let good = false;
            if (sig.length > 0) {
              const compressed = key.length === 33 && (key[0] === 2 || key[0] === 3);
              const uncompressed = key.length === 65 && key[0] === 4;
              if (!compressed && !(uncompressed && sv === SIGVERSION.BASE)) fail('public key is not strictly encoded');
              const prev = ctx.prevouts[ctx.index] ?? fail('missing prevout');
              const { sig64, hashType } = checkDerSignature(sig);
              const hash = sv === SIGVERSION.BASE ? ctx.tx.hashForSignature(ctx.index, script, hashType) : ctx.tx.hashForWitnessV0(ctx.index, script, prev.value, hashType);
              try {
                good = ecc.verify(hash, key, sig64, true);
              } catch {
                good = false;
              }
            }
            if (good) si++;
            ki++;
          }
          if (si < sigs.length) ok = false;
          if (!ok && sigs.some((x) => x.length > 0)) fail('CHECKMULTISIG failed with non-empty signatures (NULLFAIL)');
          if (op === OP.CHECKMULTISIGVERIFY) {
            if (!ok) fail('CHECKMULTISIGVERIFY failed');
          } else stack.push(ok ? Uint8Array.of(1) : new Uint8Array());
          break;
        }
        case OP.CHECKLOCKTIMEVERIFY: {
          const lock = decodeNum(top(), 5);
          if (lock < 0n) fail('negative locktime');
          const txLock = BigInt(ctx.tx.locktime);
          if ((lock < 500_000_000n) !== (txLock < 500_000_000n)) fail('locktime type mismatch');
          if (lock > txLock) fail('locktime not reached');
          if ((ctx.tx.ins[ctx.index]?.sequence ?? 0xffffffff) === 0xffffffff) fail('input is final, locktime disabled');
          break;
        }
        case OP.CHECKSEQUENCEVERIFY: {
          const seq = decodeNum(top(), 5);
          if (seq < 0n) fail('negative sequence');
          if ((seq & (1n << 31n)) !== 0n) break;
          if (ctx.tx.version < 2) fail('CSV needs transaction version 2');
          const txSeq = BigInt(ctx.tx.ins[ctx.index]?.sequence ?? 0xffffffff);
          if ((txSeq & (1n << 31n)) !== 0n) fail('input sequence disables relative locktime');
          const mask = (1n << 22n) | 0xffffn;
          const a = seq & mask;
          const b = txSeq & mask;
          if ((a < 1n << 22n) !== (b < 1n << 22n)) fail('relative locktime type mismatch');
          if (a > b) fail('relative locktime not reached');
          break;
        }
        default:
          fail(`opcode 0x${op.toString(16)} is not supported or is reserved`);
      }
    }
    if (stack.length + alt.length > 1000) fail('stack too large');
  }
  if (exec.length > 0) fail('unbalanced IF');
}

function witnessProgramOf(script: Uint8Array): { version: number; program: Uint8Array } | undefined {
  if (script.length < 4 || script.length > 42) return undefined;
  const v = script[0] ?? 0;
  if (v !== 0 && (v < OP.OP_1 || v > OP.OP_16)) return undefined;
  if ((script[1] ?? 0) + 2 !== script.length) return undefined;
  return { version: v === 0 ? 0 : v - 0x50, program: script.subarray(2) };
}

function compactSize(n: number): Uint8Array {
  return n < 0xfd ? Uint8Array.of(n) : Uint8Array.of(0xfd, n & 0xff, n >>> 8);
}

function verifyWitnessProgram(witness: readonly Uint8Array[], version: number, program: Uint8Array, ctx: Ctx, isP2sh: boolean): void {
  let stack = [...witness];
  if (version === 0) {
    if (program.length === 20) {
      if (stack.length !== 2) fail('P2WPKH witness must have 2 items');
      const scriptCode = bScript.compile([OP.DUP, OP.HASH160, program, OP.EQUALVERIFY, OP.CHECKSIG]);
      evalScript(scriptCode, stack, ctx, SIGVERSION.WITNESS_V0);
    } else if (program.length === 32) {
      const ws = stack.pop() ?? fail('empty P2WSH witness');
      if (!equalBytes(sha256(ws), program)) fail('witness script does not match the program');
      evalScript(ws, stack, ctx, SIGVERSION.WITNESS_V0);
    } else fail('wrong witness v0 program length');
  } else if (version === 1 && program.length === 32 && !isP2sh) {
    if (stack.length === 0) fail('empty taproot witness');
    if (stack.length >= 2 && (stack[stack.length - 1]?.[0] ?? 0) === 0x50) fail('annex is not supported');
    if (stack.length === 1) {
      if (!checkSchnorr(stack[0] ?? new Uint8Array(), program, ctx)) fail('empty taproot key-path signature');
      return;
    }
    const control = stack.pop() ?? fail('missing control block');
    const script = stack.pop() ?? fail('missing tapscript');
    if (control.length < 33 || (control.length - 33) % 32 !== 0 || control.length > 33 + 128 * 32) fail('bad control block size');
    const leafVersion = (control[0] ?? 0) & 0xfe;
    if (leafVersion !== 0xc0) fail('unknown tapleaf version');
    const leafHash = taggedHash('TapLeaf', concat(Uint8Array.of(leafVersion), compactSize(script.length), script));
    let k = leafHash;
    for (let p = 33; p < control.length; p += 32) {
      const e = control.subarray(p, p + 32);
      k = taggedHash('TapBranch', compareBytes(k, e) < 0 ? concat(k, e) : concat(e, k));
    }
    const internal = control.subarray(1, 33);
    const tweak = taggedHash('TapTweak', concat(internal, k));
    let tweaked: ReturnType<typeof ecc.xOnlyPointAddTweak>;
    try {
      tweaked = ecc.xOnlyPointAddTweak(internal, tweak);
    } catch {
      tweaked = null;
    }
    if (!tweaked || !equalBytes(tweaked.xOnlyPubkey, program) || tweaked.parity !== ((control[0] ?? 0) & 1)) fail('taproot commitment does not match');
    stack = [...stack];
    evalScript(script, stack, { ...ctx, leafHash }, SIGVERSION.TAPSCRIPT);
    if (stack.length !== 1 || !castToBool(stack[0] ?? new Uint8Array())) fail('tapscript did not leave exactly one true element');
    return;
  } else fail(`witness version ${version} is not allowed`);
  if (stack.length !== 1 || !castToBool(stack[0] ?? new Uint8Array())) fail('witness script did not leave exactly one true element');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Verify input `index` of `tx` against the outputs it spends (all of them, in input order:
 * taproot sighashes commit to every prevout). Throws ScriptFailure with the reason.
 *
 * @example verifyInput(toSign, 0, [{ script: challenge, value: 0n }])
 */
export function verifyInput(tx: Transaction, index: number, prevouts: readonly Prevout[]): void {
  const input = tx.ins[index] ?? fail(`no input ${index}`);
  const prev = prevouts[index] ?? fail(`no prevout for input ${index}`);
  const ctx: Ctx = { tx, index, prevouts };
  const scriptSig = input.script;
  if (!isPushOnly(scriptSig)) fail('scriptSig is not push-only');
  const stack: Uint8Array[] = [];
  evalScript(scriptSig, stack, ctx, SIGVERSION.BASE);
  const sigStack = [...stack];
  evalScript(prev.script, stack, ctx, SIGVERSION.BASE);
  if (stack.length === 0 || !castToBool(stack[stack.length - 1] ?? new Uint8Array())) fail('script evaluated to false');
  const witness = input.witness;
  let witnessUsed = false;
  const wp = witnessProgramOf(prev.script);
  if (wp) {
    if (scriptSig.length !== 0) fail('native witness program with a non-empty scriptSig');
    verifyWitnessProgram(witness, wp.version, wp.program, ctx, false);
    witnessUsed = true;
    stack.length = 1;
  }
  const isP2sh = prev.script.length === 23 && prev.script[0] === OP.HASH160 && prev.script[1] === 0x14 && prev.script[22] === OP.EQUAL;
  if (isP2sh) {
    const redeem = sigStack.pop() ?? fail('empty P2SH scriptSig');
    evalScript(redeem, sigStack, ctx, SIGVERSION.BASE);
    if (sigStack.length === 0 || !castToBool(sigStack[sigStack.length - 1] ?? new Uint8Array())) fail('redeem script evaluated to false');
    const nested = witnessProgramOf(redeem);
    if (nested) {
      if (!equalBytes(scriptSig, bScript.compile([redeem]))) fail('P2SH-wrapped witness program with extra scriptSig data');
      verifyWitnessProgram(witness, nested.version, nested.program, ctx, true);
      witnessUsed = true;
      sigStack.length = 1;
    }
    stack.length = 0;
    stack.push(...sigStack);
  }
  if (stack.length !== 1) fail('CLEANSTACK: more than one element left');
  if (!witnessUsed && witness.length > 0) fail('unexpected witness');
}
