import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { base64 } from '@scure/base';
import { action } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { readExtendedPrivateKeyFile, signPsbtWithKey } from '../../adapters/signers/software-signer.ts';
import { readPsbtArgument } from './psbt.ts';

export function register(program: Command): void {
  const signer = program.command('signer').description('software signer: FOR REGTEST AND TESTS ONLY (real keys belong on hardware signers)');
  signer
    .command('sign <psbtFile>')
    .description('sign a PSBT with an extended private key from a file, writing a partial PSBT (for regtest and tests only)')
    .requiredOption('--xprv-file <file>', 'file holding the extended private key (tprv; xprv only with --hot-key-on-mainnet)')
    .option('--out <file>', 'write the partial PSBT here (binary if the name ends in .psbt, else base64); default: base64 on stdout')
    .option('--hot-key-on-mainnet', 'allow a mainnet key: a hot key holding real money (dangerous)')
    .addHelpText(
      'after',
      [
        '',
        'For regtest and tests only. Soberana never stores or logs the key, and never prints it.',
        '',
        'Examples:',
        '  $ soberana signer sign --xprv-file alice.tprv unsigned.psbt --out alice.psbt',
        '  $ soberana signer sign --xprv-file bob.tprv unsigned.psbt > bob.b64',
      ].join('\n'),
    )
    .action(
      action(async (ctx, psbtFile: string, opts: { xprvFile: string; out?: string; hotKeyOnMainnet?: boolean }) => {
        const key = readExtendedPrivateKeyFile(opts.xprvFile);
        const r = signPsbtWithKey(readPsbtArgument(psbtFile), key, { dangerouslyAllowMainnetKey: opts.hotKeyOnMainnet === true });
        if (opts.out) {
          try {
            if (/\.psbt$/i.test(opts.out)) writeFileSync(opts.out, base64.decode(r.psbt));
            else writeFileSync(opts.out, r.psbt + '\n');
          } catch {
            throw new DomainError('INVALID_ARGUMENT', `cannot write ${opts.out}`);
          }
          ctx.out({ out: opts.out, signatures: r.added }, `wrote the partial PSBT (${r.added} signature${r.added === 1 ? '' : 's'} added) to ${opts.out}`);
        } else {
          ctx.out({ psbt: r.psbt, signatures: r.added }, r.psbt);
        }
        await Promise.resolve();
      }),
    );
}
