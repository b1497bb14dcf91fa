/** A set of listeners taking `A`. */
export declare class Listeners<A extends unknown[]> {
    private readonly list;
    /** Adds `fn`; returns the function that removes it. */
    add(fn: (...args: A) => void): () => void;
    /** Removes `fn`. */
    delete(fn: (...args: A) => void): void;
    /** Whether there is no listener. */
    get empty(): boolean;
    /** Calls every listener; `failed` gets what one of them threw. */
    call(args: A, failed: (error: unknown) => void): void;
}
