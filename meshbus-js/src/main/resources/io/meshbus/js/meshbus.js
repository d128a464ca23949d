// Meshbus browser and Node.js client: a peer of the network that joins through a host's BrowserGateway.
// Plain ES module, no build step, no dependencies (Node.js 20.19+ loads it as it is; older Node.js 20 needs it saved
// as meshbus.mjs, and every Node.js 20 needs a WebSocket class passed in). Protocol: meshbus-js/PROTOCOL-JS.md.
//
//   import { connect } from '/meshbus.js';
//   const bus = await connect('ws://127.0.0.1:7480/meshbus', { id: 'alice', token: 'secret' });
//   bus.onMessage(m => { if (m.request) bus.reply(m, { echo: m.payload }); });
//   await bus.send('bob', { hello: 'bob' });              // settles on delivery, or rejects with a MeshbusError
//   const answer = await bus.request('echo', 'ping', { timeout: 5000 });
//   await bus.subscribe('orders.*', m => console.log(m.subject, m.from, m.payload));
//   bus.publish('orders.eu', { sku: 'a1' });
//   await bus.close();

export const PROTOCOL_VERSION = 1;

/** A typed failure; `code` is the name of the Java io.meshbus.error.ErrorCode (PEER_NOT_FOUND, REQUEST_TIMEOUT...). */
export class MeshbusError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'MeshbusError';
    this.code = code;
  }
}

// Refusals that another try cannot fix, and CLOSED (a newer connection took over this id): no reconnect.
const FATAL = new Set(['AUTHENTICATION_FAILED', 'NOT_AUTHORIZED', 'INCOMPATIBLE_VERSION', 'CLOSED', 'PEER_ID_TAKEN']);
const RTC_KEY = '$meshbus.rtc';
const te = new TextEncoder();
const td = new TextDecoder();

/** Opens a client and resolves once the gateway welcomed it (or rejects with the refusal). */
export function connect(url, options = {}) {
  const client = new MeshbusClient(url, options);
  return client._start().then(() => client);
}

// -------------------------------------------------------------- encoding shared by the gateway link and data channels

function encodePayload(p) {
  if (p instanceof ArrayBuffer) return { ct: 'bytes', bin: new Uint8Array(p) };
  if (ArrayBuffer.isView(p)) return { ct: 'bytes', bin: new Uint8Array(p.buffer, p.byteOffset, p.byteLength) };
  if (typeof p === 'string') return { ct: 'text', p };
  return { p: p === undefined ? null : p };
}

/** A frame: a JSON text, or for binary payloads u32 header length + JSON header + the bytes. */
function encodeFrame(header, enc) {
  if (enc && enc.bin) {
    const h = te.encode(JSON.stringify({ ...header, ct: enc.ct }));
    const out = new Uint8Array(4 + h.length + enc.bin.length);
    new DataView(out.buffer).setUint32(0, h.length);
    out.set(h, 4);
    out.set(enc.bin, 4 + h.length);
    return out;
  }
  const o = { ...header };
  if (enc) {
    o.p = enc.p;
    if (enc.ct) o.ct = enc.ct;
  }
  return JSON.stringify(o);
}

function decodeFrame(data) {
  if (typeof data === 'string') return JSON.parse(data);
  const buf = data instanceof ArrayBuffer ? data
    : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const n = new DataView(buf).getUint32(0);
  const f = JSON.parse(td.decode(new Uint8Array(buf, 4, n)));
  f.p = buf.slice(4 + n);
  return f;
}

function payloadOf(f) {
  return f.p === undefined ? null : f.p;
}

function toError(f) {
  return new MeshbusError(f.code || 'UNKNOWN', f.message || f.code || 'failed');
}

/** The error for a close without an error frame (a limit enforced below the gateway, or a lost link). */
function closeError(ev, url) {
  if (ev.code === 1009) return new MeshbusError('FRAME_TOO_LARGE', `message too large for ${url}: ${ev.reason || ''}`);
  if (ev.code === 1013) return new MeshbusError('BACK_PRESSURE', `${url} asked to slow down: ${ev.reason || ''}`);
  return new MeshbusError('PEER_UNREACHABLE', `connection to ${url} lost (${ev.code || 'no code'})`);
}

function defer() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** NATS-style subject match: `*` is one token, a final `>` one or more. */
export function matches(pattern, subject) {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

// ---------------------------------------------------------------- the client

export class MeshbusClient {
  constructor(url, options) {
    if (!options.id) throw new TypeError('connect: options.id is required');
    this.url = url;
    this.id = options.id;
    this.options = options;
    this._WebSocket = options.WebSocket || globalThis.WebSocket;
    if (!this._WebSocket) {
      throw new TypeError('connect: no WebSocket here (Node.js 20): pass options.WebSocket, e.g. from the ws package');
    }
    const r = options.reconnect || {};
    this._backoff = { initial: r.initial ?? 100, max: r.max ?? 10000, factor: r.factor ?? 2, jitter: r.jitter ?? 0.2 };
    this._queueLimit = options.queueLimit ?? 1000;
    this._requestTimeout = options.requestTimeout ?? 30000;
    this._ws = null;
    this._open = false;        // welcomed by the gateway
    this._closed = false;      // close() was called, or a fatal refusal came
    this._attempt = 0;
    this._seq = 0;
    this._pending = new Map(); // n -> {resolve, reject, timer, request}
    this._queue = [];          // frames written while not welcomed, sent after the next welcome
    this._handlers = new Set();
    this._subs = new Map();    // pattern -> Set(handler)
    this._stateHandlers = new Set();
    this._timer = null;
    this.host = null;
    this.limits = null;
    this.stats = { viaHost: 0, direct: 0, reconnects: 0 };
    this._rtc = options.rtc ? new Direct(this, options.rtc === true ? {} : options.rtc) : null;
  }

  // -------------------------------------------------------------- connection and reconnection

  _start() {
    this._first = defer();
    // The first connection retries like any other, but not forever: connect() settles within connectTimeout.
    const limit = this.options.connectTimeout ?? 30000;
    this._firstTimer = setTimeout(() => {
      if (!this._first) return;
      if (this._timer) clearTimeout(this._timer);
      const ws = this._ws;
      this._ws = null;
      if (ws) ws.close();
      this._fail(new MeshbusError('PEER_UNREACHABLE', `no welcome from ${this.url} within ${limit} ms`));
    }, limit);
    this._dial();
    return this._first.promise;
  }

  _dial() {
    if (this._closed) return;
    let ws;
    try {
      ws = new this._WebSocket(this.url);
    } catch (e) {
      this._fail(new MeshbusError('PEER_UNREACHABLE', `cannot open ${this.url}: ${e.message}`));
      return;
    }
    ws.binaryType = 'arraybuffer';
    this._ws = ws;
    let refusal = null;
    ws.onopen = () => {
      // The resume token of the last welcome proves a reconnect is this client, so it may take its id over from
      // its own older connection that the gateway has not noticed is gone yet.
      ws.send(encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, id: this.id, token: this.options.token ?? null,
        resume: this._resume ?? null }));
    };
    ws.onmessage = (ev) => {
      if (this._ws !== ws) return; // a socket given up on (connectTimeout, close) says nothing more
      let f;
      try {
        f = decodeFrame(ev.data);
      } catch (e) {
        return; // a frame we cannot read is dropped; the gateway never sends one
      }
      if (f.t === 'error') {
        refusal = f;
        return;
      }
      this._onFrame(f, ws);
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this._ws !== ws) return;
      this._ws = null;
      const wasOpen = this._open;
      this._open = false;
      const err = refusal ? toError(refusal) : closeError(ev, this.url);
      // Sends in flight may or may not have arrived: their promises fail rather than resend twice.
      for (const [n, p] of this._pending) {
        if (!p.queued) {
          clearTimeout(p.timer);
          this._pending.delete(n);
          p.reject(err);
        }
      }
      if (wasOpen) this._emit('disconnected', err);
      if (refusal && FATAL.has(refusal.code)) {
        this._fail(err);
        return;
      }
      if (this._first && this.options.failFast) {
        this._fail(err);
        return;
      }
      this._schedule();
    };
  }

  _schedule() {
    if (this._closed) return;
    const b = this._backoff;
    const base = Math.min(b.max, b.initial * Math.pow(b.factor, this._attempt++));
    const delay = base * (1 - b.jitter + Math.random() * 2 * b.jitter);
    this._emit('reconnecting', { delay, attempt: this._attempt });
    this._timer = setTimeout(() => { this._timer = null; this._dial(); }, delay);
  }

  _fail(err) {
    this._closed = true;
    for (const [, p] of this._pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this._pending.clear();
    this._queue = [];
    if (this._first) {
      clearTimeout(this._firstTimer);
      this._first.reject(err);
      this._first = null;
    }
    this._emit('closed', err);
  }

  _welcome(f, ws) {
    this._open = true;
    this._resume = f.resume ?? null;
    this.host = f.host;
    this.limits = f.limits || null;
    const again = this._attempt > 0 && !this._first;
    this._attempt = 0;
    // Interest first, so a publish that follows a reconnect is not missed for want of a subscription.
    for (const pattern of this._subs.keys()) {
      ws.send(encodeFrame({ t: 'sub', n: this._next(), subject: pattern }));
    }
    const q = this._queue;
    this._queue = [];
    for (const item of q) {
      if (item.n !== undefined) {
        const p = this._pending.get(item.n);
        if (!p) continue;  // timed out while queued
        p.queued = false;
      }
      ws.send(item.data);
    }
    if (this._first) {
      const first = this._first;
      this._first = null;
      clearTimeout(this._firstTimer);
      first.resolve(this);
    }
    if (again) {
      this.stats.reconnects++;
      this._emit('reconnected', { host: this.host });
    } else {
      this._emit('connected', { host: this.host });
    }
  }

  /** State changes: 'connected', 'disconnected', 'reconnecting', 'reconnected', 'closed'. Returns a remover. */
  onState(handler) {
    this._stateHandlers.add(handler);
    return () => this._stateHandlers.delete(handler);
  }

  _emit(state, detail) {
    for (const h of this._stateHandlers) {
      try { h(state, detail); } catch (e) { console.error('meshbus: state handler failed', e); }
    }
  }

  get connected() {
    return this._open;
  }

  // -------------------------------------------------------------- frames from the gateway

  _onFrame(f, ws) {
    switch (f.t) {
      case 'welcome':
        this._welcome(f, ws);
        return;
      case 'ok': {
        const p = this._settle(f.n);
        if (p) p.resolve(undefined);
        return;
      }
      case 'err': {
        const p = this._settle(f.n);
        if (p) p.reject(toError(f));
        return;
      }
      case 'res': {
        const p = this._settle(f.n);
        if (p) p.resolve(payloadOf(f));
        return;
      }
      case 'msg': {
        const m = { from: f.from, payload: payloadOf(f), request: f.r !== undefined, contentType: f.ct || 'json',
          direct: false, _r: f.r };
        this._deliver(m);
        return;
      }
      case 'pub': {
        const handlers = this._subs.get(f.sub);
        if (!handlers) return;
        const m = { subject: f.subject, from: f.from, payload: payloadOf(f), contentType: f.ct || 'json' };
        for (const h of handlers) {
          try { h(m); } catch (e) { console.error('meshbus: subscription handler failed', e); }
        }
        return;
      }
      default:
    }
  }

  _settle(n) {
    const p = this._pending.get(n);
    if (!p) return null;
    this._pending.delete(n);
    clearTimeout(p.timer);
    return p;
  }

  _deliver(m) {
    if (this._rtc && m.payload && typeof m.payload === 'object' && m.payload[RTC_KEY]) {
      this._rtc.onSignal(m.from, m.payload[RTC_KEY]);
      return;
    }
    for (const h of this._handlers) {
      try { h(m); } catch (e) { console.error('meshbus: message handler failed', e); }
    }
  }

  // -------------------------------------------------------------- writing

  _next() {
    this._seq = (this._seq + 1) % 0x7fffffff;
    return this._seq;
  }

  /** Writes a frame now, or queues it until the next welcome; rejects when the queue is full. */
  _write(data, n) {
    if (this._closed) throw new MeshbusError('CLOSED', `client ${this.id} is closed`);
    if (this._open && this._ws) {
      this._ws.send(data);
      return;
    }
    if (this._queue.length >= this._queueLimit) {
      throw new MeshbusError('BACK_PRESSURE', `${this._queue.length} messages already wait for the gateway link`);
    }
    if (n !== undefined) this._pending.get(n).queued = true;
    this._queue.push({ data, n });
  }

  _call(header, payload, timeout) {
    return new Promise((resolve, reject) => {
      if (this._closed) {
        reject(new MeshbusError('CLOSED', `client ${this.id} is closed`));
        return;
      }
      const n = this._next();
      const p = { resolve, reject, timer: null, queued: false };
      p.timer = setTimeout(() => {
        this._pending.delete(n);
        reject(new MeshbusError('REQUEST_TIMEOUT', `${header.t} to ${header.to || header.subject} got no answer `
          + `within ${timeout} ms`));
      }, timeout);
      this._pending.set(n, p);
      try {
        this._write(encodeFrame({ ...header, n }, payload === undefined ? undefined : encodePayload(payload)), n);
      } catch (e) {
        this._settle(n);
        reject(e);
      }
    });
  }

  /** Sends to a peer by id; resolves once delivered to it (or its host), rejects with a MeshbusError. */
  send(to, payload, options = {}) {
    if (this._rtc && this._rtc.isOpen(to)) {
      this.stats.direct++;
      return this._rtc.send(to, payload, options.timeout ?? this._requestTimeout);
    }
    this.stats.viaHost++;
    const timeout = options.timeout ?? this._requestTimeout;
    return this._call({ t: 'send', to, timeout }, payload, timeout + 1000);
  }

  /** Sends a request and resolves with the reply's payload. */
  request(to, payload, options = {}) {
    const timeout = options.timeout ?? this._requestTimeout;
    if (this._rtc && this._rtc.isOpen(to)) {
      this.stats.direct++;
      return this._rtc.request(to, payload, timeout);
    }
    this.stats.viaHost++;
    // The gateway times out first, with the host's typed error; this timer is the backstop for a lost link.
    return this._call({ t: 'req', to, timeout }, payload, timeout + 1000);
  }

  /** Answers a message received with `request: true`. */
  reply(message, payload) {
    if (!message || !message.request) {
      return Promise.reject(new MeshbusError('PROTOCOL_VIOLATION', 'reply: that message is not a request'));
    }
    if (message.direct) return this._rtc.reply(message, payload);
    try {
      this._write(encodeFrame({ t: 'reply', r: message._r }, encodePayload(payload)));
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Adds a handler of messages sent to this peer ({from, payload, request, direct, contentType}). */
  onMessage(handler) {
    this._handlers.add(handler);
    return () => this._handlers.delete(handler);
  }

  /** Subscribes to a subject pattern; resolves once the network knows of it. Returns {unsubscribe()}. */
  async subscribe(subject, handler) {
    let set = this._subs.get(subject);
    const first = !set;
    if (first) {
      set = new Set();
      this._subs.set(subject, set);
    }
    set.add(handler);
    if (first) {
      try {
        await this._call({ t: 'sub', subject }, undefined, this._requestTimeout);
      } catch (e) {
        set.delete(handler);
        if (set.size === 0 && this._subs.get(subject) === set) this._subs.delete(subject);
        throw e;
      }
    }
    return {
      subject,
      unsubscribe: () => {
        const s = this._subs.get(subject);
        if (!s || !s.delete(handler) || s.size > 0) return;
        this._subs.delete(subject);
        if (this._open && this._ws) this._ws.send(encodeFrame({ t: 'unsub', subject }));
      },
    };
  }

  /** Publishes on a subject (at most once, no confirmation). */
  publish(subject, payload) {
    this._write(encodeFrame({ t: 'pub', subject }, encodePayload(payload)));
  }

  // -------------------------------------------------------------- direct links (WebRTC, opt-in)

  /** Opens (or reuses) an RTCDataChannel to another browser peer; resolves when it is open. Needs `rtc: true`. */
  direct(to, options = {}) {
    if (!this._rtc) {
      return Promise.reject(new MeshbusError('NOT_AUTHORIZED', 'direct links need connect(..., {rtc: true})'));
    }
    return this._rtc.open(to, options.timeout ?? 15000);
  }

  /** Closes the direct link to a peer, if any: messages take the host route again. */
  closeDirect(to) {
    if (this._rtc) this._rtc.close(to);
  }

  /** Whether a direct link to that peer is open. */
  isDirect(to) {
    return !!this._rtc && this._rtc.isOpen(to);
  }

  /** Closes the client: pending promises reject with CLOSED, no reconnection. */
  close() {
    if (this._closed) return Promise.resolve();
    if (this._rtc) this._rtc.closeAll();
    if (this._timer) clearTimeout(this._timer);
    this._fail(new MeshbusError('CLOSED', `client ${this.id} closed`));
    const ws = this._ws;
    this._ws = null;
    this._open = false;
    if (!ws || ws.readyState === 3) return Promise.resolve();
    return new Promise((resolve) => {
      ws.onclose = () => resolve();
      ws.close(1000, 'bye');
    });
  }
}

// ---------------------------------------------------------------- WebRTC data channels signalled through the hosts

class Direct {
  constructor(client, options) {
    this.client = client;
    this.config = options.config || { iceServers: [] };
    this.RTC = options.RTCPeerConnection || globalThis.RTCPeerConnection;
    this.links = new Map(); // peer -> {pc, dc, opened: deferred, seq, pending}
  }

  isOpen(to) {
    const l = this.links.get(to);
    return !!l && !!l.dc && l.dc.readyState === 'open';
  }

  _link(to) {
    let l = this.links.get(to);
    if (!l) {
      if (!this.RTC) throw new MeshbusError('NOT_AUTHORIZED', 'no RTCPeerConnection in this runtime');
      l = { pc: new this.RTC(this.config), dc: null, opened: defer(), seq: 0, pending: new Map(), offering: false };
      l.opened.promise.catch(() => {});
      this.links.set(to, l);
      l.pc.onconnectionstatechange = () => {
        if (['failed', 'closed'].includes(l.pc.connectionState)) this._drop(to, l);
      };
      l.pc.ondatachannel = (ev) => this._attach(to, l, ev.channel);
    }
    return l;
  }

  _attach(to, l, dc) {
    l.dc = dc;
    dc.binaryType = 'arraybuffer';
    dc.onopen = () => l.opened.resolve();
    dc.onclose = () => this._drop(to, l);
    dc.onmessage = (ev) => this._onData(to, l, ev.data);
    if (dc.readyState === 'open') l.opened.resolve();
  }

  _drop(to, l) {
    if (this.links.get(to) !== l) return;
    this.links.delete(to);
    const err = new MeshbusError('PEER_UNREACHABLE', `direct link to ${to} closed`);
    l.opened.reject(err);
    for (const [, p] of l.pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    l.pending.clear();
    this._discard(l);
  }

  _discard(l) {
    try { if (l.dc) l.dc.close(); } catch (e) { /* already closed */ }
    try { l.pc.close(); } catch (e) { /* already closed */ }
  }

  async _gathered(pc) {
    if (pc.iceGatheringState === 'complete') return;
    await new Promise((resolve) => {
      const check = () => {
        if (pc.iceGatheringState === 'complete') {
          pc.removeEventListener('icegatheringstatechange', check);
          resolve();
        }
      };
      pc.addEventListener('icegatheringstatechange', check);
    });
  }

  _signal(to, body) {
    return this.client.send(to, { [RTC_KEY]: body });
  }

  async open(to, timeout) {
    if (this.isOpen(to)) return;
    const existing = this.links.get(to);
    if (existing) return this._within(existing.opened.promise, timeout, to);
    const l = this._link(to);
    l.offering = true;
    const offer = async () => {
      this._attach(to, l, l.pc.createDataChannel('meshbus', { ordered: true }));
      // Whole offers (ICE gathered first) keep the signalling to one message each way.
      await l.pc.setLocalDescription(await l.pc.createOffer());
      await this._gathered(l.pc);
      await this._signal(to, { kind: 'offer', sdp: l.pc.localDescription.sdp });
      await l.opened.promise;
    };
    // When the offers cross and ours loses, this link is discarded mid-offer (its gathering never completes, or its
    // calls throw) and the winner's link resolves l.opened: wait for that instead of our own offer.
    const offered = offer().catch((e) => {
      if (this.links.get(to) === l) throw e;
      return l.opened.promise;
    });
    try {
      await this._within(Promise.race([offered, l.opened.promise]), timeout, to);
    } catch (e) {
      // A link that did not open is forgotten, so the next direct() starts afresh.
      if (this.links.get(to) === l) this._drop(to, l);
      throw e;
    }
  }

  _within(promise, timeout, to) {
    let timer;
    const t = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new MeshbusError('REQUEST_TIMEOUT', `direct link to ${to} did not open `
        + `within ${timeout} ms`)), timeout);
    });
    return Promise.race([promise, t]).finally(() => clearTimeout(timer));
  }

  async onSignal(from, s) {
    try {
      if (s.kind === 'offer') {
        let l = this.links.get(from);
        if (l && l.offering) {
          // Both sides offered at once: the smaller id's offer wins, and the loser's direct() waits for it.
          if (this.client.id < from) return;
          const waiting = l.opened;
          this.links.delete(from);
          this._discard(l);
          l = this._link(from);
          l.opened.promise.then(waiting.resolve, waiting.reject);
        } else if (l) {
          this._drop(from, l);
          l = this._link(from);
        } else {
          l = this._link(from);
        }
        await l.pc.setRemoteDescription({ type: 'offer', sdp: s.sdp });
        await l.pc.setLocalDescription(await l.pc.createAnswer());
        await this._gathered(l.pc);
        await this._signal(from, { kind: 'answer', sdp: l.pc.localDescription.sdp });
      } else if (s.kind === 'answer') {
        const l = this.links.get(from);
        if (l && l.offering) await l.pc.setRemoteDescription({ type: 'answer', sdp: s.sdp });
      } else if (s.kind === 'close') {
        const l = this.links.get(from);
        if (l) this._drop(from, l);
      }
    } catch (e) {
      const l = this.links.get(from);
      if (l) this._drop(from, l);
    }
  }

  close(to) {
    const l = this.links.get(to);
    if (l) this._drop(to, l);
  }

  closeAll() {
    for (const [to, l] of [...this.links]) this._drop(to, l);
  }

  _call(to, t, payload, timeout) {
    const l = this.links.get(to);
    return new Promise((resolve, reject) => {
      const n = ++l.seq;
      const timer = setTimeout(() => {
        l.pending.delete(n);
        reject(new MeshbusError('REQUEST_TIMEOUT', `${t} to ${to} over the direct link got no answer within `
          + `${timeout} ms`));
      }, timeout);
      l.pending.set(n, { resolve, reject, timer });
      try {
        l.dc.send(encodeFrame({ t, n }, encodePayload(payload)));
      } catch (e) {
        clearTimeout(timer);
        l.pending.delete(n);
        reject(new MeshbusError('PEER_UNREACHABLE', `direct link to ${to}: ${e.message}`));
      }
    });
  }

  send(to, payload, timeout) {
    return this._call(to, 'send', payload, timeout);
  }

  request(to, payload, timeout) {
    return this._call(to, 'req', payload, timeout);
  }

  reply(message, payload) {
    const l = this.links.get(message.from);
    if (!l || !l.dc || l.dc.readyState !== 'open') {
      return Promise.reject(new MeshbusError('PEER_UNREACHABLE', `direct link to ${message.from} closed`));
    }
    l.dc.send(encodeFrame({ t: 'res', n: message._n }, encodePayload(payload)));
    return Promise.resolve();
  }

  _onData(from, l, data) {
    let f;
    try {
      f = decodeFrame(data);
    } catch (e) {
      return;
    }
    if (f.t === 'send' || f.t === 'req') {
      if (f.t === 'send') l.dc.send(encodeFrame({ t: 'ok', n: f.n }));
      this.client._deliver({ from, payload: payloadOf(f), request: f.t === 'req', contentType: f.ct || 'json',
        direct: true, _n: f.n });
    } else if (f.t === 'ok' || f.t === 'res') {
      const p = l.pending.get(f.n);
      if (!p) return;
      l.pending.delete(f.n);
      clearTimeout(p.timer);
      p.resolve(f.t === 'ok' ? undefined : payloadOf(f));
    }
  }
}
