// Bounded waits that say what they waited for and what they saw.

/** Resolves once `ready()` is true (checked every 5 ms); rejects after `ms`, with `seen()` in the message. */
export function waitFor(what, ready, { ms = 20000, seen = () => "" } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      let done = false;
      try {
        done = ready();
      } catch (error) {
        reject(error);
        return;
      }
      if (done) return resolve();
      if (Date.now() - started > ms) {
        const saw = seen();
        return reject(new Error(`waited ${ms} ms for ${what}${saw ? `; saw ${saw}` : ""}`));
      }
      setTimeout(check, 5);
    };
    check();
  });
}

/** The next call of `subscribe`'s listener (its first argument), within `ms`. */
export function next(what, subscribe, { ms = 20000, where = () => true } = {}) {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`waited ${ms} ms for ${what}`));
    }, ms);
    unsubscribe = subscribe((value) => {
      if (!where(value)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}
