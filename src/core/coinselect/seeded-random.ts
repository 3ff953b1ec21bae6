/**
 * A seeded pseudo-random generator (mulberry32) for strategies that want randomness while the core
 * stays deterministic: the caller chooses the seed (from its RandomSource in production, a constant
 * in tests and benchmarks). Not for anything secret.
 * @example const random = seededRandom(42); random() // → 0.6011037519201636, always
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`"seed" expected an integer, got ${seed}`);
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
