import { createDeriver, parseDescriptor } from '../core/bitcoin/descriptor.ts';
import type { Vault } from '../core/vault/types.ts';
import type { AddressDeriver } from '../core/vault/watch-state.ts';

/** The address deriver of a descriptor vault (null for an address-list vault). */
export function deriverFor(vault: Vault): AddressDeriver | null {
  if (vault.kind !== 'descriptor' || !vault.descriptor) return null;
  const parsed = parseDescriptor(vault.descriptor);
  const d = createDeriver(parsed, vault.network);
  return {
    branches: parsed.multipath ? [0, 1] : [0],
    derive(branch, index) {
      const a = d.derive(branch === 1, index);
      return { address: a.address, script: a.scriptPubKey };
    },
  };
}
