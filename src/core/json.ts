/**
 * JSON with bigint amounts carried as decimal strings (never as floats).
 * @example toJson({ value: 5n }) === '{"value":"5"}'
 */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent);
}
