/**
 * How chain adapters turn transport and node failures into DomainErrors that name the cause.
 * Shared by the Bitcoin Core RPC, Esplora and embedded-node adapters.
 */
import { DomainError } from '../../core/errors.ts';
import { GENESIS_HASH, NETWORKS, type Network } from '../../core/network.ts';

/** A `fetch`-like transport (the global `fetch` fits). Injected so tests can record and replay. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>;

export interface FetchInit {
  readonly method: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A URL fit for messages and logs: credentials removed. */
export function redactEndpoint(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** The human name of a network, as operators say it. */
export function networkLabel(n: Network): string {
  switch (n) {
    case 'main':
      return 'mainnet';
    case 'test':
      return 'testnet';
    case 'signet':
      return 'signet';
    case 'regtest':
      return 'regtest';
  }
}

/** The network whose genesis block has this hash, or undefined for a chain we do not know. */
export function networkOfGenesis(hash: string): Network | undefined {
  return NETWORKS.find((n) => GENESIS_HASH[n] === hash);
}

/** Map a failure of the transport itself (no HTTP answer) to CHAIN_UNAVAILABLE. */
export function transportError(endpoint: string, e: unknown, timeoutMs: number): DomainError {
  if (e instanceof DomainError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  if (err.name === 'TimeoutError') {
    return new DomainError('CHAIN_UNAVAILABLE', `the node at ${endpoint} did not answer within ${timeoutMs} ms`);
  }
  if (err.name === 'AbortError') {
    return new DomainError('CHAIN_UNAVAILABLE', `the request to the node at ${endpoint} was cancelled (the chain source was closed)`);
  }
  const cause = (err as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : (err as { code?: unknown }).code;
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused (is the node running?)'
      : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
        ? 'the connection was reset'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'the host name does not resolve'
          : typeof code === 'string'
            ? code
            : err.message;
  return new DomainError('CHAIN_UNAVAILABLE', `cannot reach the node at ${endpoint}: ${why}`);
}

/** A DomainError for an answer we cannot use. */
export function badResponse(endpoint: string, what: string): DomainError {
  return new DomainError('CHAIN_BAD_RESPONSE', `the node at ${endpoint} sent a malformed answer: ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const HEX64 = /^[0-9a-f]{64}$/;

/** Check a block or transaction hash argument (a programmer fault if malformed). */
export function assertHash(label: string, hash: string): void {
  if (typeof hash !== 'string' || !HEX64.test(hash)) throw new TypeError(`${label}: expected 64 lowercase hex characters, got ${JSON.stringify(hash)}`);
}

export function assertHeight(label: string, height: number): void {
  if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`${label}: expected a non-negative integer height, got ${String(height)}`);
}
