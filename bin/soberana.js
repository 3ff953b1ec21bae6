#!/usr/bin/env node
// Entry point of the `soberana` command. The sources are TypeScript, run through tsx's
// loader (no build step; see docs/adr/0001-run-typescript-with-tsx.md).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
