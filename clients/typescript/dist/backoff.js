// When to reconnect: exponential backoff with jitter, a cap and an
// optional limit on consecutive failed attempts.
function finite(value, fallback, min, max = Infinity) {
    return typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}
/** The policy from the options; `false` means one attempt per `connect()`. */
export function backoff(options) {
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
export function delayBefore(policy, attempt, random) {
    if (policy.maxAttempts !== null && attempt > policy.maxAttempts)
        return null;
    if (attempt <= 1)
        return 0;
    const raw = Math.min(policy.maxDelay, policy.initialDelay * policy.multiplier ** (attempt - 2));
    return raw * (1 - policy.jitter * random);
}
