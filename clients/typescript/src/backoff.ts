// When to reconnect: exponential backoff with jitter, a cap and an
// optional limit on consecutive failed attempts.

/** Automatic reconnection (all durations in milliseconds). */
export interface ReconnectOptions {
  /** The delay before the second attempt (the first is immediate). Default 500. */
  initialDelay?: number;
  /** The longest delay between two attempts. Default 30000. */
  maxDelay?: number;
  /** The factor between two consecutive delays. Default 2. */
  multiplier?: number;
  /** The largest fraction (0 to 1) by which a delay is shortened at random. Default 0.3. */
  jitter?: number;
  /** Give up (state `error`) after this many consecutive failed attempts; unlimited when absent. */
  maxAttempts?: number;
  /**
   * How long a connection must stay online to count as a success that
   * resets the backoff; one that ends sooner counts as a failed attempt. Default 5000.
   */
  minUptime?: number;
}

/** The reconnect policy with every option filled in. */
export interface Backoff {
  initialDelay: number;
  maxDelay: number;
  multiplier: number;
  jitter: number;
  maxAttempts: number | null;
  minUptime: number;
}

function finite(value: number | undefined, fallback: number, min: number, max = Infinity): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/** The policy from the options; `false` means one attempt per `connect()`. */
export function backoff(options: ReconnectOptions | false | undefined): Backoff {
  const given = options === false ? {} : (options ?? {});
  return {
    initialDelay: finite(given.initialDelay, 500, 0),
    maxDelay: finite(given.maxDelay, 30000, 0),
    multiplier: finite(given.multiplier, 2, 1),
    jitter: finite(given.jitter, 0.3, 0, 1),
    maxAttempts: options === false ? 1 : given.maxAttempts === undefined ? null : finite(given.maxAttempts, 1, 1),
    minUptime: finite(given.minUptime, 5000, 0),
  };
}

/**
 * The wait before attempt `attempt` (counted from 1 after the last
 * success), or `null` when the policy allows no such attempt. `random` is
 * in [0, 1).
 */
export function delayBefore(policy: Backoff, attempt: number, random: number): number | null {
  if (policy.maxAttempts !== null && attempt > policy.maxAttempts) return null;
  if (attempt <= 1) return 0;
  const raw = Math.min(policy.maxDelay, policy.initialDelay * policy.multiplier ** (attempt - 2));
  return raw * (1 - policy.jitter * random);
}
