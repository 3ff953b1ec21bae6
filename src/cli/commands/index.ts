import type { Command } from 'commander';

/** A command group: the top-level command names it adds, and how to load its module. */
export interface CommandGroup {
  /** Top-level names the group registers or extends (`interchange` adds `vault import/export`). */
  readonly names: readonly string[];
  /** A command another group registers that this group adds subcommands to (loaded with it). */
  readonly extends?: string;
  readonly load: () => Promise<{ register: (program: Command) => void }>;
}

/**
 * Every command group, in the order `--help` lists them. Add one entry per group. A group's
 * module (and everything it imports) loads only when the command line names one of its commands,
 * so `soberana balance` never loads the embedded node, Fastify or the governance code.
 */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { names: ['demo'], load: () => import('./demo.ts') },
  { names: ['status'], load: () => import('./status.ts') },
  { names: ['db'], load: () => import('./db.ts') },
  { names: ['vault'], load: () => import('./vault.ts') },
  { names: ['vault', 'labels'], extends: 'vault', load: () => import('./interchange.ts') },
  { names: ['sync'], load: () => import('./sync.ts') },
  { names: ['balance', 'utxos', 'history', 'addresses', 'address', 'tx'], load: () => import('./queries.ts') },
  { names: ['serve'], load: () => import('./serve.ts') },
  { names: ['token'], load: () => import('./token.ts') },
  { names: ['psbt'], load: () => import('./psbt.ts') },
  { names: ['signer'], load: () => import('./signer.ts') },
  { names: ['descriptor'], load: () => import('./descriptor.ts') },
  { names: ['node'], load: () => import('./node.ts') },
  { names: ['member'], load: () => import('./member.ts') },
  { names: ['policy'], load: () => import('./policy.ts') },
  { names: ['spend'], load: () => import('./spend.ts') },
  { names: ['audit'], load: () => import('./audit.ts') },
  { names: ['purchases', 'accounting'], load: () => import('./purchases.ts') },
  { names: ['report'], load: () => import('./report.ts') },
  { names: ['por'], load: () => import('./por.ts') },
  { names: ['compliance'], load: () => import('./compliance.ts') },
  { names: ['settlement'], load: () => import('./settlement.ts') },
  { names: ['alliance'], load: () => import('./alliance.ts') },
  { names: ['mining'], load: () => import('./mining.ts') },
];

/** Global options that take a value (`--db x`), so the command name is found after them. */
const GLOBAL_OPTIONS_WITH_VALUE: ReadonlySet<string> = new Set(['--db', '--network', '--config', '--log-level']);

/**
 * The top-level command a command line names (`soberana --db x balance --json` → `balance`),
 * or undefined when it names none (`--help`, `--version`, nothing).
 */
export function commandNameOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') return argv[i + 1];
    if (!a.startsWith('-')) return a;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(a)) i++;
  }
  return undefined;
}

/** Whether a command line only asks for the version: no command group needs to load. */
function versionOnly(argv: readonly string[]): boolean {
  return commandNameOf(argv) === undefined && (argv.includes('--version') || argv.includes('-V')) && !argv.includes('--help') && !argv.includes('-h');
}

/**
 * The groups a command line needs: the one(s) naming its command; none for `--version`; every
 * group for help, no command, or a name no group claims (so help lists everything and an
 * unknown command gets commander's "did you mean" suggestion).
 */
export function groupsFor(argv: readonly string[]): readonly CommandGroup[] {
  if (versionOnly(argv)) return [];
  const name = commandNameOf(argv);
  const named = name === undefined ? [] : COMMAND_GROUPS.filter((g) => g.names.includes(name));
  if (named.length === 0) return COMMAND_GROUPS;
  const needed = new Set(named);
  for (const g of named) {
    const base = g.extends === undefined ? undefined : COMMAND_GROUPS.find((b) => b !== g && b.names.includes(g.extends as string));
    if (base) needed.add(base);
  }
  return COMMAND_GROUPS.filter((g) => needed.has(g)); // in --help order: a base before its extension
}

/**
 * Load and register, in `--help` order, the command groups a command line needs (all of them
 * without `argv`). One after the other: on Node 20, concurrent `import()`s that reach the same
 * ES module through `require()` (the bitcoin libraries do) can fail with "not yet fully loaded".
 */
export async function registerCommands(program: Command, argv?: readonly string[]): Promise<void> {
  for (const g of argv === undefined ? COMMAND_GROUPS : groupsFor(argv)) (await g.load()).register(program);
}
