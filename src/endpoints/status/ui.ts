import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

/** The status page's own files (HTML, script, style), shipped in the package next to `src/` and `dist/`. */
const STATIC_DIR = new URL('../../../static/ui/', import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

interface Asset {
  readonly body: string;
  readonly type: string;
}

function asset(url: URL): Asset {
  const ext = /\.[a-z]+$/.exec(url.pathname)?.[0] ?? '';
  return { body: readFileSync(url, 'utf8'), type: TYPES[ext] ?? 'application/octet-stream' };
}

/**
 * The files, read once at start-up: the page, and Preact and htm as ES modules from the installed
 * packages (no CDN, no build step). The page asks for the JSON at `/status` with the key it was given.
 */
function loadAssets(): ReadonlyMap<string, Asset> {
  return new Map([
    ['index.html', asset(new URL('index.html', STATIC_DIR))],
    ['app.js', asset(new URL('app.js', STATIC_DIR))],
    ['style.css', asset(new URL('style.css', STATIC_DIR))],
    ['vendor/preact.mjs', asset(new URL(import.meta.resolve('preact')))],
    ['vendor/hooks.mjs', asset(new URL(import.meta.resolve('preact/hooks')))],
    ['vendor/htm.mjs', asset(new URL(import.meta.resolve('htm')))],
  ]);
}

/** Paths the page is served at; they need no key (the page holds no data until it is given one). */
export function isUiPath(path: string): boolean {
  return path === '/' || path === '/ui' || path.startsWith('/ui/');
}

/** `/ui` (the status page) and `/` redirecting to it. */
export function uiRoutes(): Hono {
  const assets = loadAssets();
  const routes = new Hono();
  routes.get('/', (c) => c.redirect('/ui', 302));
  const serve = (name: string) => {
    const found = assets.get(name);
    if (found === undefined) return undefined;
    return new Response(found.body, {
      headers: { 'content-type': found.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
    });
  };
  routes.get('/ui', () => serve('index.html') as Response);
  routes.get('/ui/:file{.+}', (c) => serve(c.req.param('file')) ?? c.notFound());
  return routes;
}
