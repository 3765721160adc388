/**
 * The status page in a real browser: Debian's chromium, headless, driven by puppeteer-core. It logs in
 * through the URL fragment, shows every alias with its chain, a budget figure, a deployment ejected
 * for its refused key (with the reason) and a refused request (with its reason), and a client key sees
 * its own aliases only. The screenshot is kept under test-results/ (a CI artifact).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashClientKey } from '../../src/config/client-key-hash.js';
import { findOnPath } from '../support/binaries.js';
import { deploymentYaml, startStack, UPSTREAM_KEY, type Stack } from '../integration/harness.js';

const MASTER = 'sk-status-page-master-key-0123456789';
const CLIENT = 'sk-grk-statuspageclientkey0123456789abcdefghijklm';
const BAD_UPSTREAM = 'gsk_status_page_bad_key_00000000000000000';
const RESULTS = join(import.meta.dirname, '../../test-results');

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({
    yaml: `model_list:
${deploymentYaml('fast', 'llama-3.1-8b-instant')}${deploymentYaml('tight', 'llama-3.3-70b-versatile', '', '\n      rpm: 1\n      tpm: 100000\n      rpd: null\n      tpd: null')}${deploymentYaml('bad-key', 'openai/gpt-oss-20b').replace('os.environ/GROQ_API_KEY', 'os.environ/BAD_KEY')}general_settings:
  master_key: os.environ/MASTER
  client_keys:
    - alias: friend
      key_hash: ${hashClientKey(CLIENT)}
      models: [fast]
`,
    env: { MASTER, BAD_KEY: BAD_UPSTREAM },
    fake: { keys: [UPSTREAM_KEY] },
  });
  const chat = (model: string) =>
    fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
  expect((await chat('fast')).status).toBe(200);
  expect((await chat('tight')).status).toBe(200);
  // Over its one request a minute: refused by the budget, with a reason.
  expect((await chat('tight')).status).toBe(429);
  // Its key is refused upstream: the deployment rests.
  expect((await chat('bad-key')).ok).toBe(false);

  const executablePath = findOnPath('chromium');
  if (executablePath === undefined) throw new Error("chromium is not on the PATH: install Debian's `chromium` package (apt-get install chromium)");
  browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function open(path: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(`${stack.url}${path}`, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid="aliases"]', { timeout: 15_000 }).catch((error: unknown) => {
    throw new Error(`the status page did not render (${String(error)}); page errors: ${errors.join('; ')}`);
  });
  return page;
}

describe('the status page at /ui', () => {
  it('shows every alias, a budget figure, an ejected deployment and a refused request, each with its reason', async () => {
    // `/` redirects to /ui; the key in the fragment logs in without reaching the server.
    const page = await open(`/#key=${MASTER}`);
    expect(new URL(page.url()).pathname).toBe('/ui');
    expect(page.url()).not.toContain(MASTER);
    const aliases = await page.$$eval('[data-alias]', (rows) => rows.map((r) => r.getAttribute('data-alias')));
    expect(aliases).toEqual(['fast', 'tight', 'bad-key']);
    expect(await page.$eval('[data-testid="readiness"]', (e) => e.textContent)).toBe('unhealthy');

    const tightRpm = await page.$eval('[data-window="rpm"] .used', (e) => e.textContent);
    expect(tightRpm).toMatch(/^\d+$/);
    const budgetText = await page.$eval('body', (b) => b.innerText);
    expect(budgetText).toMatch(/RPM\s+1 \/ 1 used · 0 left/);

    const ejected = await page.$eval('[data-alias="bad-key"] .deployment', (e) => (e as HTMLElement).innerText);
    expect(ejected).toContain('ejected');
    expect(ejected).toContain('401');
    expect(ejected).toMatch(/trial in \d+/);

    const refused = await page.$$eval('tr.request.refused', (rows) => rows.map((r) => (r as HTMLElement).innerText));
    expect(refused.some((row) => row.includes('tight') && row.includes('429'))).toBe(true);

    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'status-page.png'), fullPage: true });

    // Filtering by status leaves the refused requests only.
    await page.select('[data-testid="filter-status"]', 'refused');
    const statuses = await page.$$eval('tr.request', (rows) => rows.map((r) => r.className));
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((c) => c.includes('refused'))).toBe(true);
    await page.close();
  });

  it('asks for a key with a login form, and a client key sees its own aliases only', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.url}/ui`, { waitUntil: 'load' });
    await page.waitForSelector('form.login input', { timeout: 15_000 });
    await page.type('form.login input', CLIENT);
    await page.click('form.login button');
    await page.waitForSelector('[data-testid="aliases"]', { timeout: 15_000 });
    const aliases = await page.$$eval('[data-alias]', (rows) => rows.map((r) => r.getAttribute('data-alias')));
    expect(aliases).toEqual(['fast']);
    const text = await page.$eval('body', (b) => b.innerText);
    expect(text).not.toContain('tight');
    await page.close();
  });
});
