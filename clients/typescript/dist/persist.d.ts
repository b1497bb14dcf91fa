/** The part of `Storage` (sessionStorage, localStorage) used here. */
export interface StorageLike {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
    removeItem(key: string): void;
}
/** Where to keep the session: `true` for sessionStorage under `zaptools:<url>`. */
export type PersistOption = boolean | {
    storage: StorageLike;
    key?: string;
};
/** A place to keep one text, or nothing when persistence is off or unavailable. */
export interface Keeper {
    read(): string | null;
    write(text: string | null): void;
}
/** The keeper for `option`, or `null` (off, or no sessionStorage here). */
export declare function keeper(option: PersistOption | undefined, url: string, failed: (error: unknown) => void): Keeper | null;
