import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { action } from '../context.ts';
import { readInputBytes } from '../input-file.ts';
import { MAX_PSBT_BYTES } from '../../core/bitcoin/psbt-limits.ts';
import { DomainError } from '../../core/errors.ts';
import { formatBtc } from '../../core/money.ts';
import { inspectPsbt, type PsbtInspection } from '../../core/bitcoin/psbt-inspect.ts';

/** A PSBT given on the command line: a file (binary or base64 text), or base64/hex itself. */
export function readPsbtArgument(arg: string): Uint8Array | string {
  if (existsSync(arg) && statSync(arg).isFile()) {
    return readInputBytes(arg, 'PSBT file', 2 * MAX_PSBT_BYTES) // base64 text of the largest PSBT accepted fits;
  }
  if (/\.(psbt|txt|b64|base64)$/i.test(arg)) throw new DomainError('NOT_FOUND', `no PSBT file ${arg}`);
  return arg;
}

function humanInspection(r: PsbtInspection, network: string): string {
  const lines = [`PSBT v${r.version}, unsigned txid ${r.txid} (addresses shown for ${network}; see --network)`, `inputs (${r.inputs.length}):`];
  for (const i of r.inputs) {
    const value = i.value === null ? 'value unknown' : `${formatBtc(i.value)} BTC`;
    const sigs = i.finalized ? 'finalized' : `signatures ${i.signatures}/${i.required ?? '?'}`;
    lines.push(`  ${i.outpoint}  ${value}  ${sigs}`);
  }
  lines.push(`outputs (${r.outputs.length}):`);
  for (const o of r.outputs) {
    if (o.auditAnchor) {
      lines.push(`  audit anchor seq ${o.auditAnchor.seq} commitment ${o.auditAnchor.commitment}  0 BTC  (not a payment)`);
      continue;
    }
    const tag = o.change ? '  (change)' : o.ours ? '  (to the vault)' : '';
    lines.push(`  ${o.address ?? '(no address)'}  ${formatBtc(o.value)} BTC${tag}`);
  }
  lines.push(`fee:      ${r.fee === null ? 'unknown (input values missing)' : `${formatBtc(r.fee)} BTC`}${r.feeRate === null ? '' : ` (${r.feeRate} sat/vB${r.inputs.every((i) => i.finalized) ? '' : ', estimated'})`}`);
  const missing = r.inputs
    .map((i, n) => (i.finalized || (i.required !== null && i.signatures >= i.required) ? null : `input ${n} has ${i.signatures} of ${i.required ?? '?'} signatures`))
    .filter((x): x is string => x !== null);
  lines.push(`complete: ${r.complete ? 'yes' : `no (${missing.join('; ')})`}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  const psbt = program.command('psbt').description('partially signed Bitcoin transactions (BIP174; BIP370 v2 read)');
  psbt
    .command('inspect <psbt>')
    .description('show the inputs, outputs, fee and signatures of a PSBT (base64, hex, or a .psbt file)')
    .option('--descriptor <descriptor>', "the vault's descriptor, to mark outputs that return to the vault")
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ soberana psbt inspect spend.psbt',
        '  $ soberana --network regtest psbt inspect cHNidP8BAHECAAAA… --json',
        "  $ soberana --network regtest psbt inspect partial.psbt --descriptor 'wsh(sortedmulti(2,…))#checksum'",
      ].join('\n'),
    )
    .action(
      action(async (ctx, arg: string, opts: { descriptor?: string }) => {
        const network = ctx.config().network;
        const r = inspectPsbt(readPsbtArgument(arg), { network, ...(opts.descriptor ? { descriptor: opts.descriptor } : {}) });
        ctx.out(r, () => humanInspection(r, network));
        await Promise.resolve();
      }),
    );
}
