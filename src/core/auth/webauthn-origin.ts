/**
 * WebAuthn relying-party ids and origins: plain text rules with no cryptography, so the config
 * loader can check `server.webauthn` without loading the curve code (`webauthn.ts` re-exports them).
 */
import { DomainError } from '../errors.ts';

const RP_ID = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * A relying party id as WebAuthn takes it: a lowercase domain name (no scheme, port or IP address).
 * @throws DomainError INVALID_ARGUMENT otherwise
 * @example parseRpId('Reserve.Example.org') === 'reserve.example.org'
 */
export function parseRpId(text: string): string {
  const id = text.trim().toLowerCase();
  if (!RP_ID.test(id) || /^[0-9.]+$/.test(id)) throw new DomainError('INVALID_ARGUMENT', `"${text}" is not a WebAuthn relying party id: a domain name such as reserve.example.org or localhost (never an IP address)`);
  return id;
}

/** Is `origin` a web origin on `rpId` (its host or a subdomain), over https — or http on localhost? */
export function originOnRpId(origin: string, rpId: string): boolean {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  if (u.origin !== origin) return false; // no path, query, credentials or trailing slash
  const host = u.hostname;
  const onRp = host === rpId || host.endsWith(`.${rpId}`);
  const localhost = host === 'localhost' || host.endsWith('.localhost');
  return onRp && (u.protocol === 'https:' || (u.protocol === 'http:' && localhost));
}
