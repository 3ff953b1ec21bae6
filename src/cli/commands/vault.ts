import type { Command } from 'commander';
import { action, type CliContext } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { parseNetwork } from '../../core/network.ts';
import { SqlVaultStore } from '../../adapters/store/vault-store.ts';
import { readAddressFile } from '../address-file.ts';
import type { Vault } from '../../core/vault/types.ts';
import { formatBtc } from '../../core/money.ts';

export async function vaultStore(ctx: CliContext): Promise<SqlVaultStore> {
  return new SqlVaultStore(await ctx.db());
}

/** The vault named on the command line; NOT_FOUND with the known names otherwise. */
export async function requireVault(ctx: CliContext, idOrName: string): Promise<Vault> {
  const store = await vaultStore(ctx);
  const v = await store.findVault(idOrName);
  if (!v) {
    const names = (await store.listVaults()).map((x) => x.name);
    throw new DomainError('VAULT_NOT_FOUND', `no vault "${idOrName}"${names.length ? ` (known: ${names.join(', ')})` : ' (none registered yet: see "soberana vault add --help")'}`);
  }
  return v;
}

/**
 * `--birthday`: a block height, or a date YYYY-MM-DD (UTC midnight, kept as a time and resolved at
 * the first sync to ten blocks before the first block whose median-time-past is at least a day before it).
 */
export function parseBirthday(text: string | undefined): { height: number } | { time: number } | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return { height: Number(text) };
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const t = Date.UTC(y, mo - 1, d);
    const back = new Date(t);
    // Date.UTC rolls 2021-02-30 over into March: such a date does not exist.
    if (back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && y >= 2009) return { time: t / 1000 };
    throw new DomainError('INVALID_ARGUMENT', `birthday "${text}" is not a calendar date from 2009 on (YYYY-MM-DD)`);
  }
  throw new DomainError('INVALID_ARGUMENT', `birthday "${text}" is neither a block height nor a date YYYY-MM-DD`);
}

function parseHolders(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const m = /^([0-9a-fA-F]{8})=(.+)$/.exec(item);
    if (!m) throw new DomainError('INVALID_ARGUMENT', `--holder must look like FINGERPRINT=Name (e.g. f57ec65d="Ministry of Finance"), got "${item}"`);
    out[(m[1] ?? '').toLowerCase()] = (m[2] ?? '').trim();
  }
  return out;
}

function vaultJson(v: Vault) {
  return {
    id: v.id, name: v.name, kind: v.kind, network: v.network, descriptor: v.descriptor, threshold: v.threshold,
    keys: v.keys.map((k) => ({ fingerprint: k.fingerprint, path: k.originPath, xpub: k.xpub, holder: k.holder })),
    birthdayHeight: v.birthdayHeight, birthdayTime: v.birthdayTime, gapLimit: v.gapLimit, createdAt: v.createdAt,
  };
}

function vaultText(v: Vault): string {
  const lines = [
    `${v.name} (${v.id})`,
    `  kind:      ${v.kind !== 'descriptor' ? 'published address list' : v.threshold !== null ? `${v.threshold}-of-${v.keys.length} multisig descriptor` : 'single-key descriptor'}`,
    `  network:   ${v.network}`,
    `  birthday:  ${v.birthdayTime !== null ? new Date(v.birthdayTime * 1000).toISOString().slice(0, 10) + ' (height resolved at first sync)' : `height ${v.birthdayHeight}`}`,
  ];
  if (v.descriptor) lines.push(`  descriptor: ${v.descriptor}`);
  for (const k of v.keys) lines.push(`  key ${k.position + 1}: [${k.fingerprint ?? '????????'}${k.originPath ? k.originPath.replace(/^m/, '') : ''}] ${k.holder ?? '(holder not named)'}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  const vault = program.command('vault').description('register and inspect watch-only reserve vaults');
  vault
    .command('add')
    .description('register a vault: a multisig or single-key descriptor, or a list of published addresses')
    .requiredOption('--name <name>', 'vault name, e.g. "El Salvador reserve"')
    .option('--descriptor <descriptor>', 'multipath descriptor with #checksum, or addr(…)')
    .option('--addresses <file>', 'file of addresses (one per line, or CSV with an "address" column)')
    .option('--birthday <height|YYYY-MM-DD>', 'first block that can hold the vault\'s coins (default 0), or the date (UTC) it was created: the first sync starts ten blocks before the first block whose median-time-past is at least one day before that date')
    .option('--gap <n>', 'gap limit for address discovery', '20')
    .option('--holder <fp=name...>', 'name the institution holding the key with this fingerprint (repeatable)')
    .addHelpText('after', [
      '', 'Examples:',
      "  $ soberana --network regtest vault add --name Reserve --descriptor 'wsh(sortedmulti(2,[f57ec65d/48h/1h/0h/2h]tpub…/<0;1>/*,…))#abcd1234' \\",
      '      --holder f57ec65d="Ministry of Finance" --holder 0b2e4f16="Central Reserve Bank" --birthday 2021-09-01',
      '  $ soberana --network main vault add --name "El Salvador (published)" --addresses el_salvador_reserve_addresses.csv',
    ].join('\n'))
    .action(action(async (ctx, o: { name: string; descriptor?: string; addresses?: string; birthday?: string; gap: string; holder?: string[] }) => {
      const gap = Number(o.gap);
      const { addVault } = await import('../../app/add-vault.ts'); // the bitcoin libraries load only here
      const store = await vaultStore(ctx);
      const v = await addVault({ store }, {
        name: o.name,
        network: parseNetwork(ctx.config().network),
        descriptor: o.descriptor,
        addresses: o.addresses !== undefined ? readAddressFile(o.addresses) : undefined,
        birthday: parseBirthday(o.birthday),
        gapLimit: Number.isInteger(gap) ? gap : NaN,
        holders: parseHolders(o.holder),
        now: new Date().toISOString(),
      });
      ctx.out(vaultJson(v), () => `registered vault:\n${vaultText(v)}\nnext: soberana sync --vault ${v.id}`);
    }));
  vault
    .command('list')
    .description('list registered vaults')
    .addHelpText('after', '\nExamples:\n  $ soberana vault list --json')
    .action(action(async (ctx) => {
      const store = await vaultStore(ctx);
      const vaults = await store.listVaults();
      const rows = await Promise.all(vaults.map(async (v) => ({ v, b: await store.balance(v.id), cp: await store.tipCheckpoint(v.id) })));
      ctx.out(
        rows.map(({ v, b, cp }) => ({ ...vaultJson(v), balance: { confirmed: b.confirmed, unconfirmed: b.unconfirmed }, syncedHeight: cp?.height ?? null })),
        () => rows.length === 0 ? 'no vaults yet (see "soberana vault add --help")'
          : rows.map(({ v, b, cp }) => `${v.id.padEnd(24)} ${v.network.padEnd(8)} ${formatBtc(b.confirmed).padStart(18)} BTC  synced to ${cp?.height ?? '—'}  ${v.name}`).join('\n'),
      );
    }));
  vault
    .command('show')
    .argument('<vault>', 'vault id or name')
    .description('show a vault: keys and holders, descriptor, birthday')
    .addHelpText('after', '\nExamples:\n  $ soberana vault show el-salvador-reserve')
    .action(action(async (ctx, idOrName: string) => {
      const v = await requireVault(ctx, idOrName);
      ctx.out(vaultJson(v), () => vaultText(v));
    }));
}
