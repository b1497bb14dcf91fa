// Keeping the session across a page reload: the recovery state in
// sessionStorage (or another storage given), written after each change.
/** The keeper for `option`, or `null` (off, or no sessionStorage here). */
export function keeper(option, url, failed) {
    if (!option)
        return null;
    let storage;
    let key = `zaptools:${url}`;
    if (option === true) {
        try {
            storage = globalThis.sessionStorage;
        }
        catch (error) {
            failed(error); // storage disabled by the browser's settings
        }
    }
    else {
        storage = option.storage;
        key = option.key ?? key;
    }
    if (!storage)
        return null;
    const store = storage;
    return {
        read() {
            try {
                return store.getItem(key);
            }
            catch (error) {
                failed(error);
                return null;
            }
        },
        write(text) {
            try {
                if (text === null)
                    store.removeItem(key);
                else
                    store.setItem(key, text);
            }
            catch (error) {
                failed(error); // quota exceeded: the session is still kept in memory
            }
        },
    };
}
