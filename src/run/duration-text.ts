/**
 * Go's time.Duration.String() for a millisecond count, as Velero's messages use it
 * (`timed out after 1ms`, `1m0s`, `1h0m0s`).
 */
export function goDurationText(ms: number): string {
  const ns = BigInt(Math.round(ms * 1e6));
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  const sign = neg ? '-' : '';
  if (abs === 0n) return '0s';
  if (abs < 1_000n) return `${sign}${abs}ns`;
  if (abs < 1_000_000n) return `${sign}${fraction(abs, 1_000n)}µs`;
  if (abs < 1_000_000_000n) return `${sign}${fraction(abs, 1_000_000n)}ms`;
  const h = abs / 3_600_000_000_000n;
  const m = (abs / 60_000_000_000n) % 60n;
  const s = fraction(abs % 60_000_000_000n, 1_000_000_000n);
  if (h > 0n) return `${sign}${h}h${m}m${s}s`;
  if (m > 0n) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return whole.toString();
  const digits = unit.toString().length - 1;
  return `${whole}.${rest.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}
