import type { Command } from 'commander';
import { register as status } from './status.ts';
import { register as db } from './db.ts';

/** Every command group, in the order `--help` lists them. Add one line per group. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  status,
  db,
];
