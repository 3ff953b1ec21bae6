/**
 * `soberana por …`: proof of reserves. Each subcommand is registered by its own function, so the
 * governed ones (create, export, import, list, challenge) can be added beside `verify`.
 *
 * `por verify` needs no database and no configuration: anyone with the proof file and a node (or
 * an Esplora API) of their choosing can run it.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { action, type CliContext } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { formatBtc } from '../../core/money.ts';
import { MAX_PROOF_FILE_BYTES, parseProofFile } from '../../core/por/proof-file.ts';
import { verifyProof, type ProofChainView, type ProofVerification } from '../../core/por/verify.ts';
import { registerRound } from './por-round.ts';

export function register(program: Command): void {
  const por = program.command('por').description('proof of reserves: prove the reserve controls its coins; verify a proof against your own node');
  registerVerify(por);
  registerRound(por);
}

interface VerifyOptions {
  node?: string;
  esplora?: string;
  rpcUser?: string;
  rpcPassword?: string;
  rpcCookieFile?: string;
}

/** Read a proof file, refusing one over the size cap before reading it. */
export function readProofFile(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new DomainError('NOT_FOUND', `cannot read proof file ${path}`);
  }
  if (size > MAX_PROOF_FILE_BYTES) throw new DomainError('INVALID_PROOF', `invalid proof file: file: larger than ${MAX_PROOF_FILE_BYTES / (1024 * 1024)} MiB`);
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new DomainError('NOT_FOUND', `cannot read proof file ${path}`);
  }
}

async function openView(opts: VerifyOptions): Promise<ProofChainView & { close(): void }> {
  if (opts.node !== undefined && opts.esplora !== undefined) throw new DomainError('INVALID_ARGUMENT', 'give --node or --esplora, not both');
  if (opts.esplora !== undefined) {
    const { esploraProofChainView } = await import('../../adapters/chain/por-esplora-view.ts');
    return esploraProofChainView({ url: opts.esplora });
  }
  const url = opts.node ?? process.env.SOBERANA_RPC_URL;
  if (url === undefined || url === '') throw new DomainError('INVALID_ARGUMENT', 'say which chain to check the proof against: --node URL (your node\'s RPC) or --esplora URL');
  const { rpcProofChainView } = await import('../../adapters/chain/por-rpc-view.ts');
  return rpcProofChainView({
    url,
    user: opts.rpcUser ?? process.env.SOBERANA_RPC_USER,
    password: opts.rpcPassword ?? process.env.SOBERANA_RPC_PASSWORD,
    cookieFile: opts.rpcCookieFile ?? process.env.SOBERANA_RPC_COOKIE_FILE,
  });
}

function human(r: ProofVerification): string {
  const proven = r.utxos.filter((u) => u.proven).length;
  const lines = [
    r.ok ? 'Proof of reserves: VERIFIED' : 'Proof of reserves: NOT VERIFIED',
    `network:   ${r.network}`,
    `message:   ${r.message}`,
    ...(r.challenge ? [`challenge: ${r.challenge}`] : []),
    `block:     ${r.block.height} ${r.block.hash}`,
    `UTXOs:     ${proven} of ${r.utxos.length} proven (the file lists ${formatBtc(r.claimedTotal)} BTC)`,
    `proven total at block ${r.block.height}: ${formatBtc(r.provenTotal)} BTC`,
    `still unspent now${r.tipHeight === null ? '' : ` (tip ${r.tipHeight})`}: ${formatBtc(r.unspentNowTotal)} BTC`,
  ];
  for (const f of r.failures) lines.push(`FAILED ${f.message}`);
  return lines.join('\n');
}

function verifyJson(r: ProofVerification): unknown {
  return {
    ok: r.ok,
    network: r.network,
    message: r.message,
    challenge: r.challenge,
    block: r.block,
    tipHeight: r.tipHeight,
    claimedTotal: r.claimedTotal,
    provenTotal: r.provenTotal,
    provenTotalBtc: formatBtc(r.provenTotal),
    unspentNowTotal: r.unspentNowTotal,
    unspentNowTotalBtc: formatBtc(r.unspentNowTotal),
    utxos: r.utxos,
    failures: r.failures,
  };
}

/** `por verify FILE [--node URL | --esplora URL]`: no database, no configuration. */
export function registerVerify(por: Command): void {
  por
    .command('verify <file>')
    .description('verify a proof-of-reserves file against your own node (RPC) or an Esplora API; no database needed')
    .option('--node <url>', 'your node\'s JSON-RPC URL (Bitcoin Core with txindex=1, or bcoin); default $SOBERANA_RPC_URL')
    .option('--esplora <url>', 'an Esplora API instead of a node, e.g. https://mempool.space/api/')
    .option('--rpc-user <user>', 'RPC user (default $SOBERANA_RPC_USER; credentials in the URL work too)')
    .option('--rpc-password <password>', 'RPC password (default $SOBERANA_RPC_PASSWORD)')
    .option('--rpc-cookie-file <file>', 'Bitcoin Core\'s .cookie file instead of user and password')
    .addHelpText(
      'after',
      [
        '',
        'Checks every signature (BIP-322, every input), that the first input commits to the message and',
        'challenge, that every UTXO existed unspent at the stated block (amounts and scripts read from',
        'the chain, not from the file), and which are still unspent now. Prints the proven total; exits',
        'with code 12 naming the failing input if anything does not verify.',
        '',
        'Examples:',
        '  $ soberana por verify reserves.proof.json --node http://user:pass@127.0.0.1:8332/',
        '  $ soberana por verify reserves.proof.json --esplora https://mempool.space/api/ --json',
      ].join('\n'),
    )
    .action(
      action(async (ctx: CliContext, file: string, opts: VerifyOptions) => {
        const proof = parseProofFile(readProofFile(file));
        const view = await openView(opts);
        let r: ProofVerification;
        try {
          r = await verifyProof(proof, view);
        } finally {
          view.close();
        }
        ctx.out(verifyJson(r), () => human(r));
        const first = r.failures[0];
        if (first) {
          const more = r.failures.length > 1 ? ` (and ${r.failures.length - 1} more failure${r.failures.length === 2 ? '' : 's'})` : '';
          throw new DomainError('PROOF_FAILED', `the proof does not verify: ${first.message}${more}`);
        }
      }),
    );
}
