// Drives the system Chromium with playwright-core: pages served by the test gateway load /meshbus.js and run
// scenarios. argv: "basic" (basic + wrongToken on pages of one browser), "rtc" (two pages, a data channel) or
// "demo" (the README's page served by BrowserDemo).
// Environment: MESHBUS_HTTP (http://host:port of the gateway), MESHBUS_URL (ws://...), MESHBUS_TOKEN,
// MESHBUS_METRICS (URL answering the gateway's counters as JSON), CHROMIUM (executable).
// Prints one JSON line per scenario; exit 0 when all passed.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = process.env;
const what = process.argv[2];
const profile = mkdtempSync(join(tmpdir(), 'meshbus-chromium-'));
let context;
let failed = false;

const deadline = setTimeout(async () => {
  console.log(JSON.stringify({ scenario: what, ok: false, error: 'browser scenarios did not finish within 90 s' }));
  try { await context?.close(); } catch (e) { /* exiting anyway */ }
  rmSync(profile, { recursive: true, force: true });
  process.exit(2);
}, 90000);

function report(scenario, result) {
  console.log(JSON.stringify({ scenario, ...result }));
  if (!result.ok) failed = true;
}

async function page(name) {
  const p = await context.newPage();
  p.on('console', (m) => console.error(`[${name}] ${m.type()}: ${m.text()}`));
  p.on('pageerror', (e) => console.error(`[${name}] page error: ${e.message}`));
  await p.goto(env.MESHBUS_HTTP + '/index.html');
  return p;
}

async function run(p, scenario, id) {
  return p.evaluate(async ({ scenario, url, id, token }) => {
    const { connect } = await import('/meshbus.js');
    const s = await import('/scenarios.mjs');
    return s[scenario]({ connect, url, id, token });
  }, { scenario, url: env.MESHBUS_URL, id, token: env.MESHBUS_TOKEN });
}

async function metrics() {
  const r = await fetch(env.MESHBUS_METRICS);
  return r.json();
}

async function rtc() {
  const checks = [];
  const check = (name, ok, detail) => {
    checks.push({ name, ok: !!ok, detail: detail === undefined ? undefined : JSON.stringify(detail) });
    if (!ok) throw new Error(`check failed: ${name} ${JSON.stringify(detail)}`);
  };
  try {
    const a = await page('web-a');
    const b = await page('web-b');
    const join = (p, id) => p.evaluate(async ({ url, id, token }) => {
      const { connect } = await import('/meshbus.js');
      const { Inbox } = await import('/scenarios.mjs');
      window.bus = await connect(url, { id, token, rtc: { config: { iceServers: [] } } });
      window.inbox = new Inbox();
      window.bus.onMessage((m) => {
        if (m.request) window.bus.reply(m, { answer: m.payload, direct: m.direct });
        else window.inbox.push({ payload: m.payload, direct: m.direct, from: m.from });
      });
      return window.bus.host;
    }, { url: env.MESHBUS_URL, id, token: env.MESHBUS_TOKEN });
    await join(a, 'web-a');
    await join(b, 'web-b');

    const viaHost = await a.evaluate(async () => {
      await window.bus.send('web-b', { n: 0 });
      return window.bus.isDirect('web-b');
    });
    const first = await b.evaluate(() => window.inbox.next());
    check('before the data channel, messages take the host route', !viaHost && first.direct === false, first);

    await a.evaluate(() => window.bus.direct('web-b', { timeout: 15000 }));
    await b.waitForFunction(() => window.bus.isDirect('web-a'), null, { timeout: 15000 });
    check('a data channel is open on both sides', true);

    const before = await metrics();
    const sent = await a.evaluate(async () => {
      for (let i = 1; i <= 20; i++) await window.bus.send('web-b', { n: i });
      const answer = await window.bus.request('web-b', 'over the channel?', { timeout: 5000 });
      const bin = await window.bus.send('web-b', new Uint8Array([1, 2, 3]));
      return { answer, stats: window.bus.stats };
    });
    const got = await b.evaluate(async () => {
      const out = [];
      for (let i = 0; i < 21; i++) {
        const m = await window.inbox.next();
        const n = m.payload instanceof ArrayBuffer ? [...new Uint8Array(m.payload)] : m.payload.n;
        out.push({ n, direct: m.direct });
      }
      return out;
    });
    const after = await metrics();
    check('20 sends arrived in order over the data channel',
      got.slice(0, 20).every((m, i) => m.n === i + 1 && m.direct), got);
    check('binary over the data channel', JSON.stringify(got[20].n) === '[1,2,3]' && got[20].direct, got[20]);
    check('request/reply over the data channel', sent.answer.answer === 'over the channel?' && sent.answer.direct,
      sent.answer);
    check('the gateway saw none of them (framesIn/framesOut unchanged)',
      after.framesIn === before.framesIn && after.framesOut === before.framesOut, { before, after });

    await b.evaluate(() => window.bus.closeDirect('web-a'));
    await a.waitForFunction(() => !window.bus.isDirect('web-b'), null, { timeout: 15000 });
    const fallback = await a.evaluate(async () => {
      await window.bus.send('web-b', { n: 99 });
      return window.bus.request('web-b', 'and now?', { timeout: 5000 });
    });
    const last = await b.evaluate(() => window.inbox.next());
    const end = await metrics();
    check('after the channel closed, sends fall back to the host route',
      last.n === undefined && last.payload.n === 99 && last.direct === false && fallback.direct === false
        && end.framesIn > after.framesIn, { last, fallback, framesIn: end.framesIn });

    // Both ask at once: the offers cross, the smaller id's wins, and both calls resolve on the one channel.
    await Promise.all([a.evaluate(() => window.bus.direct('web-b', { timeout: 15000 })),
      b.evaluate(() => window.bus.direct('web-a', { timeout: 15000 }))]);
    const again = await a.evaluate(async () => {
      await window.bus.send('web-b', { n: 100 });
      return window.bus.isDirect('web-b');
    });
    const crossed = await b.evaluate(() => window.inbox.next());
    check('offers that cross still give one working channel', again && crossed.direct === true
      && crossed.payload.n === 100, crossed);

    await a.evaluate(() => window.bus.close());
    await b.evaluate(() => window.bus.close());
    return { ok: true, checks };
  } catch (e) {
    return { ok: false, checks, error: String(e.stack || e) };
  }
}

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-features=WebRtcHideLocalIpsWithMdns', '--allow-loopback-in-peer-connection'],
  });
  if (what === 'basic') {
    const p = await page('web-1');
    report('basic', await run(p, 'basic', 'web-1'));
    report('wrongToken', await run(p, 'wrongToken', 'web-intruder'));
  } else if (what === 'demo') {
    // The README's page, as a user would open it.
    const p = await context.newPage();
    p.on('pageerror', (e) => console.error(`[demo] page error: ${e.message}`));
    await p.goto(env.MESHBUS_HTTP + '/');
    await p.waitForFunction(() => document.getElementById('answer').textContent.includes('"echo"')
      && document.getElementById('tick').textContent.startsWith('clock.tick'), null, { timeout: 15000 });
    const shown = await p.evaluate(() => ({ answer: document.getElementById('answer').textContent,
      tick: document.getElementById('tick').textContent }));
    report('demo', { ok: true, checks: [{ name: 'the README page got its echo and a clock tick', ok: true,
      detail: JSON.stringify(shown) }] });
  } else if (what === 'rtc') {
    report('rtc', await rtc());
  } else {
    report(what, { ok: false, error: 'unknown scenario ' + what });
  }
} catch (e) {
  report(what, { ok: false, error: String(e.stack || e) });
} finally {
  clearTimeout(deadline);
  try { await context?.close(); } catch (e) { /* the browser is gone already */ }
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
