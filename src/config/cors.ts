import { describe, INVALID, readValue, text, type Kind } from './kinds.js';
import type { Path } from './path.js';

export const ANY_ORIGIN = '*';
const EXPECTED = '"*" or origins like "https://app.example.com" (scheme://host[:port], no path)';
const ORIGIN_SHAPE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]+$/i;

/**
 * The form a browser sends in `Origin` (lowercase host, no default port), so a plain string comparison
 * matches. A path or trailing slash is refused rather than trimmed: browsers never send one, so such
 * an entry would silently never match, and the user should know their value was wrong.
 */
function toOrigin(value: string): string | undefined {
  if (value === ANY_ORIGIN) return value;
  if (!ORIGIN_SHAPE.test(value)) return undefined;
  try {
    const { origin } = new URL(value);
    // Non-special schemes (e.g. `chrome-extension://id`) have an opaque origin; keep them as written.
    return origin === 'null' ? value : origin;
  } catch {
    return undefined;
  }
}

/** `general_settings.cors_allow_origins`: a list (or one bare string) of origins, deduplicated. */
export const corsOrigins: Kind<string[]> = {
  expected: `a list of ${EXPECTED}`,
  read(value, site) {
    if (value === null) return [];
    // Every item is checked even after a bad one, so one run reports them all.
    const items: [unknown, Path][] = Array.isArray(value) ? value.map((item, i) => [item, [...site.path, i]]) : [[value, site.path]];
    const origins: string[] = [];
    let ok = true;
    for (const [item, path] of items) {
      const name = readValue(text, item, { path, issues: site.issues });
      const origin = name === INVALID ? undefined : toOrigin(name.trim());
      if (origin === undefined) {
        if (name !== INVALID) site.issues.error(path, `expected ${EXPECTED}, got ${describe(name)}`, EXPECTED);
        ok = false;
      } else if (!origins.includes(origin)) {
        origins.push(origin);
      }
    }
    return ok ? origins : INVALID;
  },
};
