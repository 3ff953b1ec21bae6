import { refusePrivateKeys } from '../../core/bitcoin/private-keys.ts';
import { Option, type Command } from 'commander';
import { action } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { parseNetwork, type Network } from '../../core/network.ts';
import { MAX_DERIVE_COUNT, deriveAddresses, parseDescriptor, type ParsedDescriptor } from '../../core/bitcoin/descriptor.ts';

const NETWORK_CHOICES = ['main', 'mainnet', 'test', 'testnet', 'signet', 'regtest'];

/** `soberana descriptor info|derive`: inspect an output descriptor and derive its addresses. */
export function register(program: Command): void {
  const group = program
    .command('descriptor')
    .description('inspect output descriptors (BIP380-389) and derive their addresses')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        "  $ soberana descriptor info 'wsh(sortedmulti(2,[d34db33f/48h/0h/0h/2h]xpub…/<0;1>/*,…))#checksum' --json",
        "  $ soberana descriptor derive 'wsh(sortedmulti(2,…))#checksum' --network main --start 0 --count 20",
      ].join('\n'),
    );

  group
    .command('info')
    .description('parse and check a descriptor: type, threshold, keys, checksum')
    .argument('<descriptor>', 'the descriptor, with its #checksum')
    .option('--no-checksum', 'accept a descriptor without a #checksum (the output shows the checksum to add)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        "  $ soberana descriptor info 'wsh(sortedmulti(2,[d34db33f/48h/0h/0h/2h]xpub…/<0;1>/*,…))#checksum'",
        "  $ soberana descriptor info 'wpkh(xpub…/0/*)' --no-checksum --json",
      ].join('\n'),
    )
    .action(
      action(async (ctx, text: string, opts: { checksum: boolean }) => {
        refusePrivateKeys(text);
        const d = parseDescriptor(text, { requireChecksum: opts.checksum });
        const json = {
          descriptor: d.descriptor,
          checksum: d.checksum,
          type: d.type,
          threshold: d.threshold,
          keys: d.keys.map((k) => ({ fingerprint: k.fingerprint, path: k.originPath, xpub: k.xpub })),
          ranged: d.ranged,
          multipath: d.multipath,
        };
        ctx.out(json, () => infoText(d));
      }),
    );

  group
    .command('derive')
    .description('derive addresses and scriptPubKeys of a descriptor')
    .argument('<descriptor>', 'the descriptor, with its #checksum')
    .addOption(new Option('--network <name>', 'network to derive for (default: the global --network or the configured one)').choices(NETWORK_CHOICES))
    .option('--start <n>', 'first index', '0')
    .option('--count <k>', `how many addresses (1..${MAX_DERIVE_COUNT})`, '10')
    .option('--change', 'derive the change branch (the second index of a <0;1> multipath step)')
    .option('--no-checksum', 'accept a descriptor without a #checksum')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        "  $ soberana descriptor derive 'wsh(sortedmulti(2,…/<0;1>/*,…))#checksum' --network main --start 0 --count 20",
        "  $ soberana descriptor derive 'wsh(sortedmulti(2,…/<0;1>/*,…))#checksum' --network regtest --change --count 5 --json",
      ].join('\n'),
    )
    .action(
      action(async (ctx, text: string, opts: { network?: string; start: string; count: string; change?: boolean; checksum: boolean }) => {
        refusePrivateKeys(text);
        const network: Network = opts.network ? parseNetwork(opts.network) : ctx.globals.network ? parseNetwork(ctx.globals.network) : ctx.config().network;
        const start = wholeNumber('--start', opts.start);
        const count = wholeNumber('--count', opts.count);
        if (count < 1 || count > MAX_DERIVE_COUNT) throw new DomainError('INVALID_ARGUMENT', `--count ${count} must be between 1 and ${MAX_DERIVE_COUNT}`);
        const d = parseDescriptor(text, { requireChecksum: opts.checksum });
        const rows = deriveAddresses(d, { network, change: opts.change === true, start, count });
        ctx.out(rows, () => {
          const width = Math.max(5, ...rows.map((r) => String(r.index).length));
          const addrWidth = Math.max(7, ...rows.map((r) => r.address.length));
          const head = `${'index'.padStart(width)}  ${'address'.padEnd(addrWidth)}  scriptPubKey`;
          return [head, ...rows.map((r) => `${String(r.index).padStart(width)}  ${r.address.padEnd(addrWidth)}  ${r.scriptPubKey}`)].join('\n');
        });
      }),
    );
}

function wholeNumber(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new DomainError('INVALID_ARGUMENT', `${flag} must be a whole number, got "${text}"`);
  return Number(text.trim());
}

function infoText(d: ParsedDescriptor): string {
  const lines = [
    `descriptor: ${d.descriptor}`,
    `checksum:   ${d.checksum}`,
    `type:       ${d.type}${d.threshold !== null ? ` (${d.threshold}-of-${d.keys.length})` : ''}`,
    `ranged:     ${d.ranged ? 'yes' : 'no'}${d.multipath ? ', multipath (receive and change branches)' : ''}`,
    `network:    ${d.network === 'main' ? 'mainnet keys' : d.network === 'test' ? 'testnet keys (testnet, signet, regtest)' : 'not fixed by the keys'}`,
  ];
  if (d.keys.length > 0) {
    lines.push(`keys (${d.keys.length}):`);
    d.keys.forEach((k, i) => {
      const origin = k.fingerprint ? `[${k.fingerprint}${k.originPath ? k.originPath.slice(1) : ''}] ` : '';
      const key = k.xpub ?? k.pubkey ?? '?';
      lines.push(`  ${i + 1}. ${origin}${key}${k.childPath ? `/${k.childPath}` : ''}`);
    });
  }
  return lines.join('\n');
}
