/**
 * `soberana por create/approve/export-psbt/import-psbt/finalize/publish/export/list/show/cancel/
 * challenge/challenges`: a proof of reserves as a governed round (issue #14), registered beside
 * `por verify` (por.ts). The use cases are in `app/por/proof-round.ts`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { schnorr } from '@noble/curves/secp256k1.js';
import { base64, hex } from '@scure/base';
import { action, type CliContext } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { formatBtc } from '../../core/money.ts';
import { describeRequirement } from '../../core/policy/approvals.ts';
import { displaySafe } from '../../core/text/display-text.ts';
import { proofApprovalDigest, type ProofChallenge, type ProofRound } from '../../core/por/round.ts';
import { SqlProofStore } from '../../adapters/store/proof-store.ts';
import { readMemberKeyFile } from '../../adapters/signers/member-key.ts';
import { requireActor } from '../../app/governance.ts';
import {
  approveProof, cancelProof, createProof, exportProof, finalizeProof, importProofSignatures, proofStatement, publishProof, requestChallengeAsMember, requireRound, type ProofDeps,
} from '../../app/por/proof-round.ts';
import { importProofFile } from '../../app/por/import-proof-file.ts';
import { MAX_PROOF_FILE_BYTES, parseProofFile } from '../../core/por/proof-file.ts';
import { verifyProof } from '../../core/por/verify.ts';
import { AS_HELP, actorOf, collect, withGovernance } from '../governance-deps.ts';
import { readPsbtArgument } from './psbt.ts';

const EX = (lines: string[]): string => ['', 'Examples:', ...lines.map((l) => `  $ ${l}`)].join('\n');

async function withProofs<T>(ctx: CliContext, opts: { chain?: boolean }, fn: (deps: ProofDeps) => Promise<T>): Promise<T> {
  const db = await ctx.db();
  return withGovernance(ctx, opts, (g) => fn({ ...g, proofs: new SqlProofStore(db) }));
}

function parseProofId(text: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text.trim())) throw new DomainError('INVALID_ARGUMENT', `a proof id is a positive whole number, got "${text}"`);
  return Number(text.trim());
}

/** A round for --json: everything but the PSBT and the proof file (see `por export`). */
export function roundJson(r: ProofRound) {
  const { psbt: _psbt, proofFile, ...rest } = r;
  return { ...rest, coins: r.coins.length, hasProofFile: proofFile !== null };
}

function roundLine(r: ProofRound): string {
  return `#${r.id}  ${r.state.padEnd(9)} ${r.publishedAtMs !== null ? 'published ' : ''}block ${r.height}  ${formatBtc(r.totalSats)} BTC in ${r.coins.length} coins  ${r.vaultIds.join(',')}  "${displaySafe(r.message)}"`;
}

function roundText(r: ProofRound, approvals: readonly { approverId: string; groups: readonly string[] }[]): string {
  return [
    `proof ${r.id} — ${r.state}${r.publishedAtMs !== null ? ` (published ${new Date(r.publishedAtMs).toISOString()})` : ''}`,
    `  vaults:    ${r.vaultIds.join(', ')}`,
    `  message:   ${displaySafe(r.message)}`,
    ...(r.challengeId !== null ? [`  challenge: ${r.challengeId}`] : []),
    `  block:     ${r.height} ${r.blockHash}`,
    `  coins:     ${r.coins.length}, ${formatBtc(r.totalSats)} BTC`,
    `  proposer:  ${r.proposer}`,
    `  quorum:    ${describeRequirement(r.requirement)} (the policy's governance quorum, version ${r.policyVersion})`,
    `  approvals: ${approvals.length === 0 ? 'none' : approvals.map((a) => `${a.approverId} (${a.groups.join(', ') || 'no group'})`).join(', ')}`,
    `  to_sign:   ${r.unsignedTxid} (can never be mined: input 0 spends a transaction that cannot exist)`,
  ].join('\n');
}

function challengeText(c: ProofChallenge): string {
  return [
    `challenge ${c.id}`,
    `  nonce:     ${c.nonce}`,
    `  asked by:  ${c.requestedBy}${c.note !== null ? ` — ${displaySafe(c.note)}` : ''}`,
    `  expires:   ${new Date(c.expiresAtMs).toISOString()}`,
    `  status:    ${c.answeredAtMs !== null ? `answered by proof ${c.roundId ?? '?'}` : c.roundId !== null ? `being answered by proof ${c.roundId}` : 'open'}`,
  ].join('\n');
}

function parseTtl(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d{1,4})(m|h|d)$/.exec(text.trim());
  if (!m) throw new DomainError('INVALID_ARGUMENT', `--ttl is a duration like 30m, 12h or 7d, got "${text}"`);
  return Number(m[1]) * ({ m: 60_000, h: 3_600_000, d: 86_400_000 } as const)[m[2] as 'm' | 'h' | 'd'];
}

function parseHeight(text: string): number {
  if (!/^\d{1,9}$/.test(text.trim())) throw new DomainError('INVALID_ARGUMENT', `--at-height must be a block height, got "${text}"`);
  return Number(text.trim());
}

/** Register the governed proof subcommands on the `por` group. */
export function registerRound(por: Command): void {
  por.option('--as <member>', AS_HELP);

  por
    .command('create')
    .description('snapshot every confirmed coin of the vaults at a block and build the proof PSBT (needs role operator and the node)')
    .requiredOption('--vault <V[,V…]>', 'the vault(s) to prove (the first one\'s first address signs the message)', collect, [])
    .requiredOption('--message <text>', 'the statement the proof signs (one line), e.g. "Reserves of the Republic at block 900000"')
    .option('--at-height <H>', 'the block the proof speaks for (default: the node\'s tip); the vaults must be synced that far')
    .option('--challenge <id>', 'answer an auditor\'s challenge: its nonce is committed with the message')
    .addHelpText('after', EX(['soberana por create --as luis --vault el-salvador-reserve --message "Reserves of El Salvador"', 'soberana por create --as luis --vault a,b --message "…" --at-height 900000 --challenge ch_0123456789abcdef']))
    .action(action(async (ctx, o: { vault: string[]; message: string; atHeight?: string; challenge?: string }) => {
      const r = await withProofs(ctx, { chain: true }, (deps) =>
        createProof(deps, { actor: actorOf(ctx), vaults: o.vault, message: o.message, atHeight: o.atHeight === undefined ? undefined : parseHeight(o.atHeight), challengeId: o.challenge }));
      ctx.out({ proof: roundJson(r.round) }, () => `${roundText(r.round, [])}\n\nnext: approvers run "soberana por approve ${r.round.id} --as <approver> --key <file>"`);
    }));

  por
    .command('approve <proof>')
    .description('approve a proof (needs role approver; the policy\'s governance quorum; the proposer never counts)')
    .option('--key <file>', 'your approval key file: the approval is your BIP340 signature of the proof\'s statement; required outside regtest')
    .addHelpText('after', EX(['soberana por approve 1 --as maria --key ~/.soberana/maria.key']))
    .action(action(async (ctx, id: string, o: { key?: string }) => {
      const proofId = parseProofId(id);
      const r = await withProofs(ctx, {}, async (deps) => {
        let signature: string | undefined;
        if (o.key !== undefined) {
          const key = readMemberKeyFile(o.key);
          const me = await requireActor(deps.spends, actorOf(ctx), 'approver');
          const digest = proofApprovalDigest(proofStatement(deps.network, me.id, await requireRound(deps.proofs, proofId)));
          signature = hex.encode(schnorr.sign(digest, key.secretKey, new Uint8Array(randomBytes(32))));
        }
        return approveProof(deps, { actor: actorOf(ctx), proofId, signature });
      });
      ctx.out(r, r.status.satisfied ? `proof ${proofId} approved: quorum reached (next: soberana por export-psbt ${proofId} --out proof.psbt)` : `approval recorded; ${r.status.missing}`);
    }));

  por
    .command('export-psbt <proof>')
    .description('write the approved proof\'s PSBT for each institution\'s signer (binary if FILE ends in .psbt, else base64)')
    .requiredOption('--out <file>', 'where to write it')
    .addHelpText('after', EX(['soberana por export-psbt 1 --as luis --out proof-1.psbt']))
    .action(action(async (ctx, id: string, o: { out: string }) => {
      const r = await withProofs(ctx, {}, (deps) => exportProof(deps, { actor: actorOf(ctx), proofId: parseProofId(id), destination: o.out }));
      if (/\.psbt$/i.test(o.out)) writeFileSync(o.out, base64.decode(r.psbt));
      else writeFileSync(o.out, r.psbt + '\n');
      ctx.out({ file: o.out, unsignedTxid: r.unsignedTxid }, `wrote ${o.out} (to_sign ${r.unsignedTxid}); each signer signs it and hands back a partial PSBT for "soberana por import-psbt ${id} FILE"`);
    }));

  por
    .command('import-psbt <proof> <file>')
    .description('import a signer\'s partial PSBT: refused unless it is this proof and cannot move coins; only verified signatures are kept')
    .addHelpText('after', EX(['soberana por import-psbt 1 finance.psbt --as luis']))
    .action(action(async (ctx, id: string, file: string) => {
      const r = await withProofs(ctx, {}, (deps) => importProofSignatures(deps, { actor: actorOf(ctx), proofId: parseProofId(id), psbt: readPsbtArgument(file) }));
      ctx.out(r, r.complete ? `signatures imported; the proof is fully signed (next: soberana por finalize ${id})` : `signatures imported${r.added >= 0 ? ` (${r.added} added)` : ''}; more are needed`);
    }));

  por
    .command('finalize <proof>')
    .description('check every signature (BIP-322 full) and make the proof file; with --publish the dashboard shows it')
    .option('--publish', 'publish it at once')
    .option('--private', 'leave the vault descriptors out of the proof file')
    .addHelpText('after', EX(['soberana por finalize 1 --as luis --publish']))
    .action(action(async (ctx, id: string, o: { publish?: boolean; private?: boolean }) => {
      const proofId = parseProofId(id);
      const r = await withProofs(ctx, {}, async (deps) => {
        const fin = await finalizeProof(deps, { actor: actorOf(ctx), proofId, publicDescriptors: o.private !== true });
        const round = o.publish === true ? await publishProof(deps, { actor: actorOf(ctx), proofId }) : fin.round;
        return { ...fin, round };
      });
      ctx.out({ proof: roundJson(r.round), txid: r.txid }, `proof ${proofId} finalized${r.round.publishedAtMs !== null ? ' and published' : ''}: ${formatBtc(r.round.totalSats)} BTC at block ${r.round.height}\nnext: soberana por export ${proofId} proof.json, then anyone runs "soberana por verify proof.json --node URL"`);
    }));

  por
    .command('publish <proof>')
    .description('publish a finalized proof: the public dashboard shows the newest one, with its file and the verify command')
    .action(action(async (ctx, id: string) => {
      const r = await withProofs(ctx, {}, (deps) => publishProof(deps, { actor: actorOf(ctx), proofId: parseProofId(id) }));
      ctx.out({ proof: roundJson(r) }, `proof ${r.id} published`);
    }));

  por
    .command('export <proof> <file>')
    .description('write a finalized proof\'s file (JSON; see docs/proof-of-reserves.md), for "soberana por verify"')
    .action(action(async (ctx, id: string, file: string) => {
      const r = await withProofs(ctx, {}, (deps) => requireRound(deps.proofs, parseProofId(id)));
      if (r.proofFile === null) throw new DomainError('INVALID_STATE', `proof ${r.id} is ${r.state}: it has no proof file until it is finalized`);
      writeFileSync(file, r.proofFile);
      ctx.out({ file, proof: r.id }, `wrote ${file}; verify it with: soberana por verify ${file} --node URL`);
    }));

  por
    .command('import <file>')
    .description('record a proof file made elsewhere: it must verify against the node, cover coins of our vaults, and answer no stale or used challenge')
    .option('--node <url>', 'the node to verify it against (default $SOBERANA_RPC_URL)')
    .option('--rpc-user <user>', 'RPC user (default $SOBERANA_RPC_USER)')
    .option('--rpc-password <password>', 'RPC password (default $SOBERANA_RPC_PASSWORD)')
    .option('--publish', 'publish it at once')
    .addHelpText('after', EX(['soberana por import proof-of-reserves-7.json --as luis --publish']))
    .action(action(async (ctx, file: string, o: { node?: string; rpcUser?: string; rpcPassword?: string; publish?: boolean }) => {
      let text: string;
      try {
        if (statSync(file).size > MAX_PROOF_FILE_BYTES) throw new DomainError('INVALID_PROOF', `invalid proof file: file: larger than ${MAX_PROOF_FILE_BYTES / (1024 * 1024)} MiB`);
        text = readFileSync(file, 'utf8');
      } catch (e) {
        if (e instanceof DomainError) throw e;
        throw new DomainError('NOT_FOUND', `cannot read proof file ${file}`);
      }
      parseProofFile(text); // a malformed file is refused before the node is asked
      const url = o.node ?? process.env.SOBERANA_RPC_URL;
      if (url === undefined || url === '') throw new DomainError('INVALID_ARGUMENT', 'say which node to verify the proof against: --node URL (or $SOBERANA_RPC_URL)');
      const { rpcProofChainView } = await import('../../adapters/chain/por-rpc-view.ts');
      const view = rpcProofChainView({ url, user: o.rpcUser ?? process.env.SOBERANA_RPC_USER, password: o.rpcPassword ?? process.env.SOBERANA_RPC_PASSWORD });
      try {
        const r = await withProofs(ctx, {}, (deps) => importProofFile(deps, { actor: actorOf(ctx), text, verify: (f) => verifyProof(f, view), publish: o.publish === true }));
        ctx.out({ proof: roundJson(r.round) }, `recorded as proof ${r.round.id}${r.round.publishedAtMs !== null ? ' and published' : ''}: ${formatBtc(r.verification.provenTotal)} BTC proven at block ${r.round.height}`);
      } finally {
        view.close();
      }
    }));

  por
    .command('list')
    .description('list proofs, newest first')
    .action(action(async (ctx) => {
      const list = await withProofs(ctx, {}, (deps) => deps.proofs.rounds());
      ctx.out({ proofs: list.map(roundJson) }, () => (list.length === 0 ? 'no proofs' : list.map(roundLine).join('\n')));
    }));

  por
    .command('show <proof>')
    .description('show a proof: vaults, block, coins, quorum and approvals, state')
    .action(action(async (ctx, id: string) => {
      const r = await withProofs(ctx, {}, async (deps) => {
        const round = await requireRound(deps.proofs, parseProofId(id));
        return { round, approvals: await deps.proofs.approvals(round.id) };
      });
      ctx.out({ proof: roundJson(r.round), approvals: r.approvals }, () => roundText(r.round, r.approvals));
    }));

  por
    .command('cancel <proof>')
    .description('cancel a proof that is not finalized (its challenge, if any, is released)')
    .option('--reason <text>', 'why (kept in the audit log)')
    .action(action(async (ctx, id: string, o: { reason?: string }) => {
      const r = await withProofs(ctx, {}, (deps) => cancelProof(deps, { actor: actorOf(ctx), proofId: parseProofId(id), reason: o.reason }));
      ctx.out({ proof: roundJson(r) }, `proof ${r.id} cancelled`);
    }));

  por
    .command('challenge')
    .description('ask for a challenge (a random nonce the next proof must sign before it expires); needs role auditor or admin')
    .option('--note <text>', 'who asks and why (kept with the challenge)')
    .option('--ttl <duration>', 'how long it may be answered: 30m, 12h, 7d (default 7d, at most 90d)')
    .addHelpText('after', EX(['soberana por challenge --as irene --note "IMF Article IV mission" --ttl 3d']))
    .action(action(async (ctx, o: { note?: string; ttl?: string }) => {
      const c = await withProofs(ctx, {}, (deps) => requestChallengeAsMember(deps, { actor: actorOf(ctx), note: o.note, ttlMs: parseTtl(o.ttl) }));
      ctx.out({ challenge: c }, `${challengeText(c)}\n\nthe treasury answers it with: soberana por create --vault … --message "…" --challenge ${c.id}`);
    }));

  por
    .command('challenges')
    .description('list challenges, newest first')
    .action(action(async (ctx) => {
      const list = await withProofs(ctx, {}, (deps) => deps.proofs.challenges());
      ctx.out({ challenges: list }, () => (list.length === 0 ? 'no challenges' : list.map(challengeText).join('\n')));
    }));
}
