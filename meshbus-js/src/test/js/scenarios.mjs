// Scenarios of the meshbus.js client, run the same way under Node.js (run-node.mjs) and in Chromium
// (run-browser.mjs, which serves this file from the test gateway). Each returns {ok, checks: [{name, ok, detail}]}.
// The Java peer "driver" (JsTestNet) obeys the {cmd: ...} requests used here.

/** A queue of received things with an awaitable next(). */
export class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
  }

  push(x) {
    const w = this.waiters.shift();
    if (w) w(x); else this.items.push(x);
  }

  next(ms = 10000, what = 'a message') {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== take);
        reject(new Error(`no ${what} within ${ms} ms`));
      }, ms);
      const take = (x) => { clearTimeout(timer); resolve(x); };
      this.waiters.push(take);
    });
  }
}

function checker() {
  const checks = [];
  const check = (name, ok, detail) => {
    checks.push({ name, ok: !!ok, detail: detail === undefined ? undefined : JSON.stringify(detail) });
    if (!ok) throw new Error(`check failed: ${name} ${detail === undefined ? '' : JSON.stringify(detail)}`);
  };
  const result = (error) => ({ ok: !error && checks.every((c) => c.ok), checks,
    error: error ? String(error.stack || error) : undefined });
  return { check, result };
}

function eq(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function waitState(bus, state, ms = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no '${state}' within ${ms} ms`)); }, ms);
    const off = bus.onState((s, d) => {
      if (s === state) { clearTimeout(timer); off(); resolve(d); }
    });
  });
}

/** Messages both ways with a Java peer on another host, request/reply, wildcard publish, a cut and restored link. */
export async function basic({ connect, url, id, token, WebSocket }) {
  const { check, result } = checker();
  let bus;
  try {
    bus = await connect(url, { id, token, WebSocket, reconnect: { initial: 50, max: 500 } });
    check('welcomed by a host', typeof bus.host === 'string' && bus.connected, bus.host);
    const inbox = new Inbox();
    bus.onMessage((m) => {
      if (m.request) bus.reply(m, { answer: m.payload });
      else inbox.push(m);
    });

    await bus.send('driver', { hello: 'java', from: id });
    check('send to a Java peer on another host is confirmed', true);

    await bus.request('driver', { cmd: 'sendBack', to: id, value: { n: 1 } });
    const m1 = await inbox.next();
    check('a Java peer sends to the browser peer by id', m1.from === 'driver' && eq(m1.payload, { n: 1 }), m1);

    const echo = await bus.request('driver', { cmd: 'echo', value: [1, 'two', { three: 3 }] }, { timeout: 5000 });
    check('request/reply to a Java peer', eq(echo, [1, 'two', { three: 3 }]), echo);

    const back = await bus.request('driver', { cmd: 'requestBack', to: id, value: 'q?' });
    check('a Java peer requests and the browser replies', eq(back, { answer: 'q?' }), back);

    const pong = await bus.request('driver', 'ping');
    check('text payloads stay text', pong === 'pong', pong);

    await bus.request('driver', { cmd: 'binary', to: id });
    const bin = await inbox.next();
    check('binary from Java arrives as an ArrayBuffer', bin.payload instanceof ArrayBuffer
      && eq([...new Uint8Array(bin.payload)], [1, 2, 3, 255]), bin.contentType);

    const bytes = await bus.request('driver', new Uint8Array([9, 8, 7]));
    check('binary to Java and back', bytes instanceof ArrayBuffer && eq([...new Uint8Array(bytes)], [9, 8, 7]));

    try {
      await bus.send('nobody-' + id, { x: 1 });
      check('a send to an unknown peer fails', false);
    } catch (e) {
      check('a send to an unknown peer fails with PEER_NOT_FOUND', e.code === 'PEER_NOT_FOUND', e.code);
    }

    try {
      await bus.request('driver', { cmd: 'silent' }, { timeout: 300 });
      check('a request nobody answers fails', false);
    } catch (e) {
      check('a request nobody answers fails with REQUEST_TIMEOUT', e.code === 'REQUEST_TIMEOUT', e.code);
    }

    const pubs = new Inbox();
    await bus.subscribe('orders.*', (m) => pubs.push(m));
    await bus.request('driver', { cmd: 'publish', subject: 'orders.eu', value: { sku: 'a1' } });
    const p1 = await pubs.next();
    check('a wildcard subscription gets a Java publish', p1.subject === 'orders.eu' && p1.from === 'driver'
      && eq(p1.payload, { sku: 'a1' }), p1);

    bus.publish('web.news', { from: id, n: 1 });
    const seen = await bus.request('driver', { cmd: 'lastWeb' });
    check('a Java subscriber gets the browser publish', eq(seen, { from: id, n: 1 }), seen);

    // The driver closes the gateway and starts a new one on the same port: the client must come back by itself.
    const back2 = waitState(bus, 'reconnected');
    await bus.request('driver', { cmd: 'cut' }).catch(() => {});
    await back2;
    check('reconnected after the gateway link was cut', bus.connected && bus.stats.reconnects >= 1, bus.stats);

    await bus.request('driver', { cmd: 'publish', subject: 'orders.us', value: { sku: 'b2' } });
    const p2 = await pubs.next();
    check('re-subscribed by itself after the reconnect', p2.subject === 'orders.us', p2);

    await bus.request('driver', { cmd: 'sendBack', to: id, value: { n: 2 } });
    const m2 = await inbox.next();
    check('reachable by id again after the reconnect', eq(m2.payload, { n: 2 }), m2);

    await bus.close();
    try {
      await bus.send('driver', 1);
      check('send after close fails', false);
    } catch (e) {
      check('send after close fails with CLOSED', e.code === 'CLOSED', e.code);
    }
    return result();
  } catch (e) {
    if (bus) await bus.close();
    return result(e);
  }
}

/** A wrong token is refused with a typed error and no reconnect loop. */
export async function wrongToken({ connect, url, id, WebSocket }) {
  const { check, result } = checker();
  try {
    try {
      const bus = await connect(url, { id, token: 'wrong', WebSocket, reconnect: { initial: 50 } });
      await bus.close();
      check('refused with a wrong token', false);
    } catch (e) {
      check('refused with AUTHENTICATION_FAILED', e.code === 'AUTHENTICATION_FAILED', e.code);
    }
    try {
      await connect(url.replace(/\/meshbus$/, '/nowhere'), { id, token: 'x', WebSocket, connectTimeout: 500,
        reconnect: { initial: 50, max: 100 } });
      check('no endpoint: connect() gives up', false);
    } catch (e) {
      check('no endpoint: connect() gives up with PEER_UNREACHABLE', e.code === 'PEER_UNREACHABLE', e.code);
    }
    return result();
  } catch (e) {
    return result(e);
  }
}

/** Limits: an oversized message and too many subscriptions end the connection with a typed error frame. */
export async function limits({ connect, url, id, token, WebSocket }) {
  const { check, result } = checker();
  try {
    const bus = await connect(url, { id, token, WebSocket, reconnect: { initial: 5000 } });
    const closed = waitState(bus, 'disconnected');
    bus.publish('big.one', 'x'.repeat(bus.limits.maxMessageSize + 10));
    const err = await closed;
    check('an oversized message gets FRAME_TOO_LARGE', err.code === 'FRAME_TOO_LARGE', err.code);
    await bus.close();

    const bus2 = await connect(url, { id: id + '-subs', token, WebSocket, reconnect: { initial: 5000 } });
    const closed2 = waitState(bus2, 'disconnected');
    const n = bus2.limits.maxSubscriptions;
    const subs = [];
    for (let i = 0; i <= n; i++) subs.push(bus2.subscribe('s.' + i, () => {}).catch((e) => e));
    const err2 = await closed2;
    check('one subscription too many gets NOT_AUTHORIZED', err2.code === 'NOT_AUTHORIZED', err2.code);
    await bus2.close();
    return result();
  } catch (e) {
    return result(e);
  }
}
