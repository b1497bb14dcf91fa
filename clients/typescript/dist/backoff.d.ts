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
/** The policy from the options; `false` means one attempt per `connect()`. */
export declare function backoff(options: ReconnectOptions | false | undefined): Backoff;
/**
 * The wait before attempt `attempt` (counted from 1 after the last
 * success), or `null` when the policy allows no such attempt. `random` is
 * in [0, 1).
 */
export declare function delayBefore(policy: Backoff, attempt: number, random: number): number | null;
