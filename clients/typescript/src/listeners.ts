// Listener lists: added and removed while being called, a listener that
// throws is reported and the others still run.

/** A set of listeners taking `A`. */
export class Listeners<A extends unknown[]> {
  private readonly list = new Set<(...args: A) => void>();

  /** Adds `fn`; returns the function that removes it. */
  add(fn: (...args: A) => void): () => void {
    this.list.add(fn);
    return () => {
      this.list.delete(fn);
    };
  }

  /** Removes `fn`. */
  delete(fn: (...args: A) => void): void {
    this.list.delete(fn);
  }

  /** Whether there is no listener. */
  get empty(): boolean {
    return this.list.size === 0;
  }

  /** Calls every listener; `failed` gets what one of them threw. */
  call(args: A, failed: (error: unknown) => void): void {
    for (const fn of [...this.list]) {
      try {
        fn(...args);
      } catch (error) {
        failed(error);
      }
    }
  }
}
