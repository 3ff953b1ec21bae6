/**
 * The block explorer the public page links txids and addresses to (issue #18 item 3):
 * mempool.space by default on mainnet, the operator's own instance when configured, none on the
 * test networks unless configured. Links are `${base}/tx/${txid}` and `${base}/address/${address}`.
 */
import type { Network } from '../network.ts';

export const DEFAULT_MAINNET_EXPLORER = 'https://mempool.space';

/** The explorer used when the configuration says nothing: mempool.space on mainnet, none elsewhere. */
export function defaultExplorerUrl(network: Network): string | null {
  return network === 'main' ? DEFAULT_MAINNET_EXPLORER : null;
}

/**
 * Check an explorer base URL: https, or http on 127.0.0.1 only (an instance on this machine); no
 * credentials, query or fragment. Returns the base without a trailing slash, or a one-line problem.
 * @example explorerBase('https://mempool.example.org/') // { ok: true, url: 'https://mempool.example.org' }
 */
export function explorerBase(text: string): { ok: true; url: string } | { ok: false; problem: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { ok: false, problem: `"${text}" is not a URL (use such as https://mempool.space)` };
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && u.hostname === '127.0.0.1')) {
    return { ok: false, problem: `"${text}" must use https (http only on 127.0.0.1)` };
  }
  if (u.username !== '' || u.password !== '') return { ok: false, problem: `"${text}" must not carry a user name or password` };
  if (u.search !== '' || text.includes('?')) return { ok: false, problem: `"${text}" must not have a query (?…)` };
  if (u.hash !== '' || text.includes('#')) return { ok: false, problem: `"${text}" must not have a fragment (#…)` };
  return { ok: true, url: `${u.origin}${u.pathname.replace(/\/+$/, '')}` };
}
