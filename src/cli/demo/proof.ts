/**
 * The demo's proof of reserves (issue #14): once, El Salvador's reserve proves it controls its
 * coins through the same governed round a treasury would run — the Bitcoin Office creates it, the
 * Ministry of Finance and the Central Reserve Bank approve it (the policy's governance quorum), the
 * PSBT goes out, two of the three DEMO signing keys (regtest only) sign it separately, the partial
 * signatures are imported, it is finalized and published. The proof file is written to
 * `<data>/proofs/` for `soberana por verify`.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegtestNode } from '../../adapters/chain/regtest-node.ts';
import type { Database } from '../../adapters/store/database.ts';
import { SqlProofStore } from '../../adapters/store/proof-store.ts';
import { SqlSpendStore } from '../../adapters/store/spend-store.ts';
import type { SqlVaultStore } from '../../adapters/store/vault-store.ts';
import { readExtendedPrivateKeyFile, signPsbtWithKey } from '../../adapters/signers/software-signer.ts';
import { approveProof, createProof, exportProof, finalizeProof, importProofSignatures, publishProof, type ProofDeps } from '../../app/por/proof-round.ts';
import { proofFileName } from '../../app/por/published-proof.ts';
import { formatBtc } from '../../core/money.ts';
import type { ProofRound } from '../../core/por/round.ts';

/** The demo's people, by name (see DEMO_MEMBERS in build-alliance.ts). */
const OPERATOR = 'Luis Bitcoin Office';
const APPROVERS = ['Ana Ministry of Finance', 'Carlos Central Reserve Bank'];
/** The two institutions whose DEMO keys sign (file names in `<data>/keys/`). */
const SIGNERS = ['el-salvador-ministry-of-finance.xprv', 'el-salvador-central-reserve-bank.xprv'];

export const DEMO_PROOF_MESSAGE = 'El Salvador Bitcoin reserve: proof of reserves (Soberana demo, regtest)';

/** Where the demo writes a proof's file. */
export function demoProofPath(dataDir: string, id: number): string {
  return join(dataDir, 'proofs', proofFileName(id));
}

/**
 * Publish El Salvador's proof unless one is published already (a resumed demo keeps it). Returns
 * the published round and where its file is.
 */
export async function ensureDemoProof(opts: { db: Database; store: SqlVaultStore; node: RegtestNode; dataDir: string; elSalvador: string; log: (line: string) => void }): Promise<{ round: ProofRound; file: string }> {
  const proofs = new SqlProofStore(opts.db);
  const existing = await proofs.latestPublished();
  if (existing) return { round: existing, file: demoProofPath(opts.dataDir, existing.id) };
  opts.log('proof of reserves: El Salvador\'s reserve proves it controls its coins (created, approved, signed by two institutions, published)…');
  const deps: ProofDeps = { proofs, spends: new SqlSpendStore(opts.db), vaults: opts.store, network: 'regtest', now: () => Date.now(), chain: opts.node.chainSource() };
  const { round } = await createProof(deps, { actor: OPERATOR, vaults: [opts.elSalvador], message: DEMO_PROOF_MESSAGE });
  for (const a of APPROVERS) await approveProof(deps, { actor: a, proofId: round.id });
  const { psbt } = await exportProof(deps, { actor: OPERATOR, proofId: round.id, destination: 'demo signers' });
  const keysDir = join(opts.dataDir, 'keys');
  const present = new Set(readdirSync(keysDir));
  for (const f of SIGNERS) {
    if (!present.has(f)) throw new RangeError(`demo: the signing key ${f} is missing from ${keysDir}`);
    // Each institution signs the exported PSBT on its own (here: the DEMO software signer, regtest only).
    const partial = signPsbtWithKey(psbt, readExtendedPrivateKeyFile(join(keysDir, f))).psbt;
    await importProofSignatures(deps, { actor: OPERATOR, proofId: round.id, psbt: partial });
  }
  const fin = await finalizeProof(deps, { actor: OPERATOR, proofId: round.id });
  const published = await publishProof(deps, { actor: OPERATOR, proofId: round.id });
  const file = demoProofPath(opts.dataDir, round.id);
  mkdirSync(join(opts.dataDir, 'proofs'), { recursive: true });
  writeFileSync(file, fin.proofFile);
  opts.log(`proof ${round.id} published: ${formatBtc(published.totalSats)} BTC in ${published.coins.length} coins at block ${published.height}`);
  return { round: published, file };
}
