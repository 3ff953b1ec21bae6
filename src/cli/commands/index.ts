import type { Command } from 'commander';
import { register as status } from './status.ts';
import { register as demo } from './demo.ts';
import { register as db } from './db.ts';
import { register as vault } from './vault.ts';
import { register as queries } from './queries.ts';
import { register as sync } from './sync.ts';
import { register as interchange } from './interchange.ts';
import { register as serve } from './serve.ts';
import { register as token } from './token.ts';
import { register as psbt } from './psbt.ts';
import { register as signer } from './signer.ts';
import { register as descriptor } from './descriptor.ts';
import { register as node } from './node.ts';
import { register as member } from './member.ts';
import { register as policy } from './policy.ts';
import { register as spend } from './spend.ts';
import { register as audit } from './audit.ts';

/** Every command group, in the order `--help` lists them. Add one line per group. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  demo,
  status,
  db,
  vault,
  interchange,
  sync,
  queries,
  serve,
  token,
  psbt,
  signer,
  descriptor,
  node,
  member,
  policy,
  spend,
  audit,
];
