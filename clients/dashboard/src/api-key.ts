const STORAGE_KEY = 'tributary.apiKey';

/** The API key kept in this browser (empty when the gateway runs without API_KEYS). */
export function loadApiKey(): string {
  try {
    return localStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    // Storage can be disabled (privacy settings): the key then lives for the page only.
    return '';
  }
}

export function saveApiKey(key: string): void {
  try {
    if (key) localStorage.setItem(STORAGE_KEY, key);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    /* see loadApiKey */
  }
}
