/**
 * Size and shape bounds for descriptors, checked in one linear pass BEFORE any parsing.
 *
 * The parsers behind descriptors are not linear: a 100,000-character key expression took
 * @bitcoinerlab/descriptors about 20 s to refuse (base58 decoding is quadratic in the length),
 * and 20,000 nested `and_v(` overflowed the call stack of the recursive parsers (a RangeError,
 * an internal error for the user). Nothing a reserve needs comes close to these bounds:
 *
 * - MAX_DESCRIPTOR_LENGTH 10,000 characters. A key expression with origin and multipath,
 *   `[d34db33f/48'/0'/0'/2']xpub…(111 chars)/<0;1>/*`, is about 145 characters, so a 20-key
 *   `wsh(sortedmulti(…))` is about 3,000 characters and a miniscript vault with three 20-key
 *   branches about 9,000. Bitcoin Core's `multi()` stops at 20 keys (P2WSH standardness).
 * - MAX_DESCRIPTOR_DEPTH 32 nested `(`/`{`. Real vaults nest 2–6 levels
 *   (`sh(wsh(or_d(multi(…),and_v(v:pk(…),older(…)))))` is 5).
 * - MAX_DESCRIPTOR_ARGUMENTS 100 non-numeric arguments (key expressions, hashes, addresses):
 *   five times a 20-key vault. With the length bound an xpub vault cannot exceed ~65 keys anyway.
 * - MAX_DESCRIPTOR_TOKEN_LENGTH 512 characters for one argument: the longest legitimate ones are
 *   key expressions with long origin paths (~200) and addresses (≤ 90).
 */
import { DomainError } from '../errors.ts';

export const MAX_DESCRIPTOR_LENGTH = 10_000;
export const MAX_DESCRIPTOR_DEPTH = 32;
export const MAX_DESCRIPTOR_ARGUMENTS = 100;
export const MAX_DESCRIPTOR_TOKEN_LENGTH = 512;

const bad = (message: string): DomainError => new DomainError('INVALID_DESCRIPTOR', message);

/** Work counter of the last `checkDescriptorBounds` call (characters examined), for tests. */
export const boundsWork = { chars: 0 };

/**
 * Refuse (DomainError INVALID_DESCRIPTOR) a descriptor longer, deeper or with more arguments
 * than any vault needs. Linear in the length and stops at the first bound crossed; the length is
 * checked first, so an oversize input costs one comparison.
 *
 * @example checkDescriptorBounds('wsh(sortedmulti(2,[…]xpub…/<0;1>/*,…))#checksum')
 */
export function checkDescriptorBounds(text: string): void {
  if (typeof text !== 'string') throw new TypeError('checkDescriptorBounds: "text" expected string');
  boundsWork.chars = 0;
  if (text.length > MAX_DESCRIPTOR_LENGTH) {
    throw bad(`the descriptor is ${text.length} characters long; at most ${MAX_DESCRIPTOR_LENGTH} are accepted`);
  }
  let depth = 0;
  let args = 0;
  let tokenStart = 0;
  const endToken = (end: number, next: string | undefined): void => {
    const len = end - tokenStart;
    if (len === 0 || next === '(') return; // a function name, or nothing
    if (len > MAX_DESCRIPTOR_TOKEN_LENGTH) throw bad(`an argument of the descriptor is ${len} characters long; at most ${MAX_DESCRIPTOR_TOKEN_LENGTH} are accepted`);
    let numeric = true;
    for (let k = tokenStart; k < end && numeric; k++) {
      const c = text.charCodeAt(k);
      if (c < 48 || c > 57) numeric = false;
    }
    if (!numeric && ++args > MAX_DESCRIPTOR_ARGUMENTS) throw bad(`the descriptor has more than ${MAX_DESCRIPTOR_ARGUMENTS} keys or other arguments`);
  };
  const hash = text.indexOf('#');
  const end = hash < 0 ? text.length : hash;
  for (let i = 0; i < end; i++) {
    boundsWork.chars++;
    const ch = text[i];
    if (ch === '(' || ch === '{' || ch === ')' || ch === '}' || ch === ',') {
      endToken(i, ch);
      tokenStart = i + 1;
      if (ch === '(' || ch === '{') {
        if (++depth > MAX_DESCRIPTOR_DEPTH) throw bad(`the descriptor nests deeper than ${MAX_DESCRIPTOR_DEPTH} levels`);
      } else if (ch !== ',') depth--;
    } else if (i - tokenStart > MAX_DESCRIPTOR_TOKEN_LENGTH) {
      throw bad(`an argument of the descriptor is longer than ${MAX_DESCRIPTOR_TOKEN_LENGTH} characters`);
    }
  }
  endToken(end, undefined);
}
