/**
 * Plain-words formatting shared by the policy engine's explanations.
 */
import type { PolicyDecision } from './types.ts';

/** "7 d", "72 h", "90 min", "45 s". */
export function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Minutes since midnight as "HH:MM". */
export function formatMinute(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** A time in ms as an ISO-8601 UTC timestamp (formatting only; no clock is read). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The decision as text, one line per rule and the verdict, for `policy test` and the audit log.
 * @example explainDecision(decision) // "rule 1 'unlisted' skipped: …\nrule 2 'small' matched: … → allow"
 */
export function explainDecision(decision: PolicyDecision): string {
  return decision.explanation.join('\n');
}
