import { readFileSync, statSync } from 'node:fs';
import { DomainError } from '../core/errors.ts';

/** The largest file a command reads whole: purchase lists, address lists, wallet files, policies. */
export const MAX_INPUT_FILE_BYTES = 16 * 1024 * 1024;

function reason(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : String(e);
}

/**
 * A file's bytes, refused in one plain line before reading when it is larger than `maxBytes`
 * (so a wrong path to a disk image cannot exhaust memory), or when it cannot be read.
 */
export function readInputBytes(file: string, what: string, maxBytes: number = MAX_INPUT_FILE_BYTES): Buffer {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new DomainError('INVALID_ARGUMENT', `the ${what} ${file} is not a file`);
    if (stat.size > maxBytes) throw new DomainError('INVALID_ARGUMENT', `the ${what} ${file} is ${stat.size} bytes, over the ${maxBytes}-byte limit`);
    return readFileSync(file);
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw new DomainError('INVALID_ARGUMENT', `cannot read the ${what} ${file} (${reason(e)})`);
  }
}

/** {@link readInputBytes} as UTF-8 text. */
export function readInputFile(file: string, what: string, maxBytes: number = MAX_INPUT_FILE_BYTES): string {
  return readInputBytes(file, what, maxBytes).toString('utf8');
}
