// Keeping the session across a page reload: the recovery state in
// sessionStorage (or another storage given), written after each change.

/** The part of `Storage` (sessionStorage, localStorage) used here. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Where to keep the session: `true` for sessionStorage under `zaptools:<url>`. */
export type PersistOption = boolean | { storage: StorageLike; key?: string };

/** A place to keep one text, or nothing when persistence is off or unavailable. */
export interface Keeper {
  read(): string | null;
  write(text: string | null): void;
}

/** The keeper for `option`, or `null` (off, or no sessionStorage here). */
export function keeper(option: PersistOption | undefined, url: string, failed: (error: unknown) => void): Keeper | null {
  if (!option) return null;
  let storage: StorageLike | undefined;
  let key = `zaptools:${url}`;
  if (option === true) {
    try {
      storage = (globalThis as unknown as { sessionStorage?: StorageLike }).sessionStorage;
    } catch (error) {
      failed(error); // storage disabled by the browser's settings
    }
  } else {
    storage = option.storage;
    key = option.key ?? key;
  }
  if (!storage) return null;
  const store = storage;
  return {
    read() {
      try {
        return store.getItem(key);
      } catch (error) {
        failed(error);
        return null;
      }
    },
    write(text) {
      try {
        if (text === null) store.removeItem(key);
        else store.setItem(key, text);
      } catch (error) {
        failed(error); // quota exceeded: the session is still kept in memory
      }
    },
  };
}
