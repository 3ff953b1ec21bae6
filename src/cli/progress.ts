/**
 * A one-line progress bar on stderr, drawn only on a TTY and never with --json.
 * Shows done/total, a bar, a rate, MB read and an ETA; redraws at most 10 times a second.
 */
export class ProgressBar {
  readonly #enabled: boolean;
  readonly #label: string;
  readonly #start = Date.now();
  #last = 0;
  #drawn = false;

  constructor(label: string, opts: { enabled: boolean }) {
    this.#label = label;
    this.#enabled = opts.enabled && process.stderr.isTTY === true;
  }

  update(done: number, total: number, extra: { bytes?: number; unit?: string } = {}): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#last < 100 && done < total) return;
    this.#last = now;
    const width = 24;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(frac * width);
    const secs = (now - this.#start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? Math.max(0, (total - done) / rate) : 0;
    const mb = extra.bytes !== undefined ? `  ${(extra.bytes / 1e6).toFixed(1)} MB` : '';
    const line = `${this.#label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${extra.unit ?? ''}  ${rate.toFixed(0)}/s${mb}  ETA ${fmtSecs(eta)}`;
    process.stderr.write(`\r${line.padEnd((process.stderr.columns ?? 100) - 1).slice(0, (process.stderr.columns ?? 100) - 1)}`);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) process.stderr.write('\n');
    this.#drawn = false;
  }
}

function fmtSecs(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${Math.round(s % 60)}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}
