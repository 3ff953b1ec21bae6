// Types of scripts/build.mjs for the TypeScript files that import it (test/helpers/cli.ts).
/** Whether dist/ is missing or older than a source file or a tsconfig. */
export function compileStale(): boolean;
/** Compile src/ to dist/ if stale; resolves to whether it compiled. `strict`: type errors fail. */
export function compile(opts?: { force?: boolean; strict?: boolean }): Promise<boolean>;
/** Build the dashboard into web/dist if it is missing or stale. */
export function buildWeb(): Promise<void>;
/** Environment variable: when "1", compile() assumes dist/ is current (set for the tests' processes). */
export const SKIP_ENV: string;
