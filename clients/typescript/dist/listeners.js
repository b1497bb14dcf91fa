// Listener lists: added and removed while being called, a listener that
// throws is reported and the others still run.
/** A set of listeners taking `A`. */
export class Listeners {
    constructor() {
        this.list = new Set();
    }
    /** Adds `fn`; returns the function that removes it. */
    add(fn) {
        this.list.add(fn);
        return () => {
            this.list.delete(fn);
        };
    }
    /** Removes `fn`. */
    delete(fn) {
        this.list.delete(fn);
    }
    /** Whether there is no listener. */
    get empty() {
        return this.list.size === 0;
    }
    /** Calls every listener; `failed` gets what one of them threw. */
    call(args, failed) {
        for (const fn of [...this.list]) {
            try {
                fn(...args);
            }
            catch (error) {
                failed(error);
            }
        }
    }
}
