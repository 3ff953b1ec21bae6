import { InvalidArgumentError } from 'commander';

/** Commander parser for a TCP port option (0 lets the OS pick a free one). */
export function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d{1,5}$/.test(v) || n > 65535) throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return n;
}
