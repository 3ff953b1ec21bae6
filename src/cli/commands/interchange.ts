import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { action, type CliContext } from '../context.ts';
import { readInputFile } from '../input-file.ts';
import { DomainError } from '../../core/errors.ts';
import { parseNetwork } from '../../core/network.ts';
import type { WalletFormat } from '../../core/vault/formats/detect.ts';
import type { Bip329Label } from '../../core/labels/bip329.ts';
import { parseBirthday, requireVault, vaultStore } from './vault.ts';

// The wallet-format and label code (and the bitcoin libraries under it) load in the actions that
// use them, so `vault list` and `vault show` stay fast. The format names are repeated here for
// the help text; the type below fails to compile if they drift from WALLET_FORMATS.
const WALLET_FORMATS = ['descriptor', 'caravan', 'coldcard', 'bsms'] as const;
type SameFormats = [WalletFormat] extends [(typeof WALLET_FORMATS)[number]] ? ([(typeof WALLET_FORMATS)[number]] extends [WalletFormat] ? true : never) : never;
const sameFormats: SameFormats = true;
void sameFormats;

function readText(path: string, what: string): string {
  return readInputFile(path, what);
}

function writeOrPrint(ctx: CliContext, out: string | undefined, text: string, json: unknown): void {
  if (out) {
    writeFileSync(out, text);
    ctx.out({ ...(json as object), file: out }, `wrote ${out}`);
  } else if (ctx.json) ctx.out({ ...(json as object), content: text }, text);
  else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function parseFormat(f: string | undefined): WalletFormat | undefined {
  if (f === undefined) return undefined;
  if (!(WALLET_FORMATS as readonly string[]).includes(f)) throw new DomainError('INVALID_ARGUMENT', `unknown format "${f}" (use ${WALLET_FORMATS.join(', ')})`);
  return f as WalletFormat;
}

export function register(program: Command): void {
  const vault = program.commands.find((c) => c.name() === 'vault');
  if (!vault) throw new TypeError('interchange: register after the vault command');
  vault
    .command('import')
    .argument('<file>', 'descriptor, Caravan wallet-config JSON, Coldcard multisig text file or BSMS 1.0 record')
    .description('register a vault from another wallet\'s configuration file')
    .option('--name <name>', 'vault name (default: the name in the file)')
    .option('--format <format>', `force the format: ${WALLET_FORMATS.join(', ')} (default: detected)`)
    .option('--birthday <height|YYYY-MM-DD>', 'first block that can hold the vault\'s coins')
    .option('--gap <n>', 'gap limit', '20')
    .addHelpText('after', '\nExamples:\n  $ soberana --network main vault import caravan-wallet.json\n  $ soberana --network test vault import coldcard-export.txt --name "Reserve (test)"')
    .action(action(async (ctx, file: string, o: { name?: string; format?: string; birthday?: string; gap: string }) => {
      const network = parseNetwork(ctx.config().network);
      // one import at a time (see registerCommands in ./index.ts)
      const { importWalletConfig } = await import('../../core/vault/formats/detect.ts');
      const { addVault } = await import('../../app/add-vault.ts');
      const { format, config } = importWalletConfig(readText(file, 'wallet file'), { network, format: parseFormat(o.format), ...(o.name ? { name: o.name } : {}) });
      const holders: Record<string, string> = {};
      for (const k of config.keys) if (k.name) holders[k.fingerprint] = k.name;
      const v = await addVault({ store: await vaultStore(ctx) }, {
        name: o.name ?? config.name, network, descriptor: config.descriptor, birthday: parseBirthday(o.birthday), gapLimit: Number(o.gap), holders, now: new Date().toISOString(),
      });
      ctx.out({ id: v.id, name: v.name, format, descriptor: v.descriptor, threshold: v.threshold, keys: v.keys.length }, `imported ${format} wallet as vault "${v.name}" (${v.id}): ${v.threshold}-of-${v.keys.length}`);
    }));
  vault
    .command('export')
    .argument('<vault>', 'vault id or name')
    .description('write a vault\'s configuration for another wallet or a hardware signer')
    .requiredOption('--format <format>', WALLET_FORMATS.join(', '))
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText('after', '\nExamples:\n  $ soberana vault export reserve --format coldcard --out reserve-coldcard.txt\n  $ soberana vault export reserve --format caravan --json')
    .action(action(async (ctx, idOrName: string, o: { format: string; out?: string }) => {
      const v = await requireVault(ctx, idOrName);
      const format = parseFormat(o.format) ?? 'descriptor';
      if (v.kind !== 'descriptor' || !v.descriptor) throw new DomainError('INVALID_STATE', `vault "${v.name}" is a published address list: there is no key configuration to export`);
      const { exportWalletConfig } = await import('../../core/vault/formats/detect.ts');
      const { walletConfigFromDescriptor, makeWalletConfig } = await import('../../core/vault/formats/wallet-config.ts');
      const base = walletConfigFromDescriptor(v.descriptor, { network: v.network, name: v.name });
      const cfg = makeWalletConfig({
        name: base.name, network: base.network, scriptType: base.scriptType, threshold: base.threshold,
        keys: base.keys.map((k) => {
          const holder = v.keys.find((x) => x.fingerprint === k.fingerprint)?.holder;
          return holder ? { ...k, name: holder } : k;
        }),
      });
      writeOrPrint(ctx, o.out, exportWalletConfig(cfg, format), { vault: v.id, format });
    }));

  const labels = program.command('labels').description('BIP-329 wallet labels, shared with auditors\' wallets');
  labels
    .command('import')
    .argument('<file>', 'BIP-329 JSONL file')
    .description('import labels (tx, addr, output, …); existing ones with the same ref are replaced')
    .addHelpText('after', '\nExamples:\n  $ soberana labels import auditor-labels.jsonl')
    .action(action(async (ctx, file: string) => {
      const { parseBip329 } = await import('../../core/labels/bip329.ts');
      const doc = parseBip329(readText(file, 'labels file'), { network: parseNetwork(ctx.config().network) });
      const store = await vaultStore(ctx);
      const n = await store.upsertLabels(doc.labels.filter((l) => l.label !== undefined || l.spendable !== undefined).map((l) => ({
        type: l.type, ref: l.ref, label: l.label ?? '', origin: l.origin ?? null, spendable: l.spendable ?? null,
      })));
      ctx.out({ imported: n, unknownTypes: doc.unknown.length }, `imported ${n} labels${doc.unknown.length ? ` (${doc.unknown.length} records of unknown types ignored)` : ''}`);
    }));
  labels
    .command('export')
    .description('export every label as BIP-329 JSONL')
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText('after', '\nExamples:\n  $ soberana labels export --out labels.jsonl')
    .action(action(async (ctx, o: { out?: string }) => {
      const { serializeBip329 } = await import('../../core/labels/bip329.ts');
      const store = await vaultStore(ctx);
      const rows = await store.labels();
      const out: Bip329Label[] = rows.map((l) => ({
        type: l.type as Bip329Label['type'], ref: l.ref, label: l.label, ...(l.origin ? { origin: l.origin } : {}), ...(l.spendable !== null && l.type === 'output' ? { spendable: l.spendable } : {}),
      }));
      writeOrPrint(ctx, o.out, serializeBip329(out), { count: out.length });
    }));
}
