import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { everyPage, finishedDemoRun, hydrated, loginAnyLanguage, screenshot } from './helpers';

// The English catalogue, read from the source the app is built from: every `Key => "English",
// "中文";` line of src/i18n/messages.rs, and the English templates of src/i18n/params.rs cut at
// their parameters. A string that a page still shows in English on a Chinese page fails the walk.
const SRC = path.resolve(__dirname, '../../src/i18n');
const unescape = (s: string) => JSON.parse(`"${s}"`) as string;
const MESSAGES = [...fs.readFileSync(`${SRC}/messages.rs`, 'utf8').matchAll(/^\s*\w+ => "((?:[^"\\]|\\.)*)", "(?:[^"\\]|\\.)*";$/gm)]
  .map((m) => unescape(m[1]).trim())
  .filter((s) => /[A-Za-z]{2,}/.test(s));
const TEMPLATE_PIECES = [...fs.readFileSync(`${SRC}/params.rs`, 'utf8').matchAll(/Lang::En => format!\("((?:[^"\\]|\\.)*)"/g)]
  .flatMap((m) => unescape(m[1]).split(/\{[^}]*\}/))
  .map((s) => s.trim())
  .filter((s) => /[A-Za-z]{3,}/.test(s));

// Data, not UI text: names of things (the demo suite and its steps, the account, file formats and
// standards), identifiers and units. Removed from a text before it is looked at for English words.
const DATA = [
  /\b(GET|POST|PUT|DELETE|PATCH) \/\S*/g,
  /Demo API/g,
  /\blivecheck\b/g,
  /\bdemo(-password)?\b/g,
  /\b(JUnit XML|JSON Lines|JSON|HTML|YAML|CSV|HTTP|OpenAPI|Postman|WebSocket|REST API|UTC|CI|I\/O|API|KiB|MB|ms)\b/g,
  /\bdocs\/\w+\.md\b/g,
  /\bLIVECHECK_\w+/g,
  /\bp(50|95|99)\b/g,
  // Names of tools and products Chinese pages keep as they are.
  /\b(Cron|cron|Webhook|Slack|Mattermost|Incoming Webhook)\b/g,
];
// Elements whose text is data: code and the suite text, the audit log's records, the names of rooms.
const DATA_ELEMENTS =
  'code, pre, textarea, [data-testid=audit] tbody, [data-testid=rooms] a, [data-testid=schedule] td:first-child a';

type Found = { text: string; where: string };

/** Every text of the page a user sees or hears: text nodes (also of hidden and screen-reader-only
 * elements and of options) and the accessible-name attributes. Parts in another language marked with
 * `lang` (the switch names each language in itself) are left out. */
async function texts(page: Page): Promise<Found[]> {
  return page.evaluate((dataElements) => {
    const out: { text: string; where: string }[] = [];
    const pageLang = document.documentElement.lang;
    const foreign = (el: Element) => {
      const marked = el.closest('[lang]');
      return marked !== null && marked.getAttribute('lang') !== pageLang;
    };
    const describe = (el: Element) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : '');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = (n.textContent ?? '').trim();
      if (!el || !text || el.closest('script, style') || el.closest(dataElements) || foreign(el)) continue;
      out.push({ text, where: describe(el) });
    }
    // The tab's title too.
    out.push({ text: document.title, where: 'title' });
    for (const el of document.body.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
      if (foreign(el)) continue;
      for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
        const value = el.getAttribute(name)?.trim();
        if (value) out.push({ text: value, where: `${describe(el)}[${name}]` });
      }
    }
    return out;
  }, DATA_ELEMENTS);
}

/** The texts of the page that are English UI strings: a catalogue entry (whole, or inside a longer
 * text for phrases), a piece of a template, or any other English word left once data is removed. */
async function english(page: Page): Promise<string[]> {
  const bad: string[] = [];
  for (const { text, where } of await texts(page)) {
    const catalogued =
      MESSAGES.find((m) => text === m || (m.includes(' ') && m.length >= 8 && text.includes(m))) ??
      TEMPLATE_PIECES.find((p) => p.length >= 5 && text.includes(p));
    let rest = text;
    for (const d of DATA) rest = rest.replace(d, ' ');
    const word = rest.match(/[A-Za-z]{2,}/)?.[0];
    if (catalogued !== undefined || word !== undefined) {
      bad.push(`${where}: ${JSON.stringify(text)} (${catalogued !== undefined ? `catalogue: ${catalogued}` : `word: ${word}`})`);
    }
  }
  return bad;
}

test('the catalogue is read from the source', () => {
  // A guard for the guard: the patterns above must find the messages, or the walk checks nothing.
  expect(MESSAGES.length).toBeGreaterThan(200);
  expect(MESSAGES).toContain('Sign in');
  expect(TEMPLATE_PIECES).toContain('Reconnecting (attempt');
});

test.describe('in Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('every page is in Chinese, signed out and in, with nothing left in English', async ({ page }) => {
    const check = async (where: string) => {
      await hydrated(page);
      await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
      expect.soft(await english(page), where).toEqual([]);
      // Every page names itself in the tab ("运行 · livecheck"), so tabs and history tell them apart.
      if (where !== '/no-such-page') expect.soft(await page.title(), where).toMatch(/^\S.* · livecheck$/);
    };
    await page.goto('/login');
    await check('/login');

    await loginAnyLanguage(page);
    const runs = [await finishedDemoRun(page), await finishedDemoRun(page)];
    for (const path of [...everyPage(runs), '/tests/synthetic', '/no-such-page']) {
      await page.goto(path);
      await check(path);
    }
    await page.goto(`/runs/${runs[0]}`);
    await hydrated(page);
    // The engine writes each check in English once; the page says it in Chinese (the walk above
    // leaves `code` out as data, so it is looked at here).
    await expect(page.locator('code', { hasText: '$.status 等于 "ok"' }).first()).toBeAttached();
    await expect(page.locator('code', { hasText: /\b(equals|matches|exists|is an?)\b/ })).toHaveCount(0);
    await screenshot(page, 'chinese');
  });

  test('the same walk finds English when the page is English (the check can fail)', async ({ page, context }) => {
    await context.addCookies([{ name: 'lang', value: 'en', url: test.info().project.use.baseURL! }]);
    await page.goto('/login');
    await hydrated(page);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    const found = await english(page);
    expect(found.some((f) => f.includes('"Sign in"'))).toBe(true);
  });

  test('the switch changes the language, and the choice outlives reloads and signing in', async ({ page }) => {
    await page.goto('/login');
    await hydrated(page);
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(page.getByRole('heading', { name: '登录' })).toBeVisible();

    // Chosen on the login page, signed out: English from now on, whatever the browser asks for.
    await page.getByRole('combobox', { name: '语言' }).selectOption('en');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await page.reload();
    await hydrated(page);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await loginAnyLanguage(page);
    await expect(page.getByRole('heading', { name: 'Tests' })).toBeVisible();

    // And back to Chinese, signed in.
    await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await hydrated(page);
    await expect(page.getByRole('heading', { name: '测试' })).toBeVisible();
    await page.reload();
    await hydrated(page);
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(page.getByRole('link', { name: '套件' })).toBeVisible();
    const cookie = (await page.context().cookies()).find((c) => c.name === 'lang');
    expect(cookie?.value).toBe('zh-CN');
    expect(cookie?.sameSite).toBe('Lax');
    expect(cookie!.expires - Date.now() / 1000).toBeGreaterThan(360 * 24 * 3600);
  });
});
