// The seed's WebSocket service design in Node `ws`, as a benchmark baseline for livecheck's hub.
// JWT in `?token=` (HS256), subscribe/unsubscribe, rooms, a 30 s heartbeat, and each event serialised
// once and sent to every subscriber. It speaks the same public protocol as livecheck for what the load
// generator uses: POST /api/start_test (synthetic runs), GET /ws?token=, subscribe_test, test_progress
// with `t=<µs>` in the message, test_completed.
//
//   PORT=3400 JWT_SECRET=... node server.js
'use strict';
const http = require('http');
const crypto = require('crypto');
const { WebSocketServer } = require('ws');
const jwt = require('jsonwebtoken');

const PORT = Number(process.env.PORT || 3400);
const SECRET = process.env.JWT_SECRET || '';
if (SECRET.length < 32) {
  console.error('JWT_SECRET (at least 32 bytes) is required');
  process.exit(2);
}

const subscriptions = new Map(); // test_id -> Set<ws>
const rooms = new Map(); // room -> Set<ws>
const runs = new Map(); // test_id -> snapshot

function nowUs() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

function verify(token) {
  try {
    return jwt.verify(token, SECRET, { algorithms: ['HS256'] });
  } catch {
    return null;
  }
}

function tokenFrom(req) {
  const url = new URL(req.url, 'http://x');
  const q = url.searchParams.get('token');
  if (q) return q;
  const cookie = req.headers.cookie || '';
  const m = cookie.match(/livecheck_session=([^;]+)/);
  return m ? m[1] : null;
}

function broadcast(testId, msg) {
  const subs = subscriptions.get(testId);
  if (!subs) return;
  const data = JSON.stringify(msg); // serialised once
  for (const ws of subs) {
    if (ws.readyState === ws.OPEN) ws.send(data);
  }
}

function startSynthetic(user, events, rate) {
  const testId = crypto.randomBytes(16).toString('hex');
  const epoch = crypto.randomBytes(4).toString('hex');
  const snap = { test_id: testId, epoch, name: 'Synthetic events', status: 'running', seq: 0, progress: 0,
    current_step: 0, total_steps: events, message: '', steps: [] };
  runs.set(testId, snap);
  const started = Date.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.min(events, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
    while (sent < due) {
      sent += 1;
      snap.seq += 1;
      snap.progress = Math.floor((sent * 100) / events);
      snap.current_step = sent;
      snap.message = `${sent}/${events} t=${nowUs()}`;
      broadcast(testId, { type: 'test_progress', test_id: testId, seq: snap.seq, epoch, progress: snap.progress,
        current_step: sent, total_steps: events, message: snap.message, timestamp: Date.now() });
    }
    if (sent >= events) {
      clearInterval(timer);
      snap.seq += 1;
      snap.status = 'completed';
      broadcast(testId, { type: 'test_completed', test_id: testId, seq: snap.seq, epoch, success: true,
        results: { passed: events, failed: 0, duration_ms: Date.now() - started, steps: [] }, timestamp: Date.now() });
    }
  }, 1);
  return snap;
}

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url.startsWith('/api/start_test')) {
    const user = verify(tokenFrom(req) || '');
    if (!user) {
      res.writeHead(401).end('{"error":"unauthorized"}');
      return;
    }
    let body = '';
    req.on('data', (c) => { body += c; if (body.length > 65536) req.destroy(); });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const events = Math.min(1_000_000, Math.max(1, Number(form.get('events') || 100)));
      const rate = Math.min(1_000_000, Math.max(1, Number(form.get('rate') || 20)));
      const snap = startSynthetic(user, events, rate);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snap));
    });
    return;
  }
  res.writeHead(404).end();
});

const wss = new WebSocketServer({
  server,
  path: '/ws',
  maxPayload: 64 * 1024,
  verifyClient: (info, cb) => {
    const user = verify(tokenFrom(info.req) || '');
    if (!user) return cb(false, 401, 'Unauthorized');
    info.req.user = user;
    cb(true);
  },
});

let nextId = 0;
wss.on('connection', (ws, req) => {
  ws.user = req.user;
  ws.id = ++nextId;
  ws.isAlive = true;
  ws.subs = new Set();
  ws.rooms = new Set();
  ws.on('pong', () => { ws.isAlive = true; });
  ws.send(JSON.stringify({ type: 'connection_established', connection_id: ws.id, user_id: Number(ws.user.sub),
    username: ws.user.name, server_time: Date.now(), heartbeat_interval_ms: 30000, expires_at: ws.user.exp }));
  ws.on('message', (raw) => {
    let msg;
    try { msg = JSON.parse(raw); } catch {
      ws.send(JSON.stringify({ type: 'error', code: 'malformed_message', message: 'not valid JSON' }));
      return;
    }
    switch (msg && msg.type) {
      case 'subscribe_test': {
        const snap = runs.get(msg.test_id);
        if (!snap) {
          ws.send(JSON.stringify({ type: 'error', code: 'not_found', message: 'no such run' }));
          return;
        }
        if (!subscriptions.has(msg.test_id)) subscriptions.set(msg.test_id, new Set());
        subscriptions.get(msg.test_id).add(ws);
        ws.subs.add(msg.test_id);
        ws.send(JSON.stringify({ type: 'subscribed', test_id: msg.test_id, epoch: snap.epoch, snapshot: snap }));
        break;
      }
      case 'unsubscribe_test':
        subscriptions.get(msg.test_id)?.delete(ws);
        ws.subs.delete(msg.test_id);
        ws.send(JSON.stringify({ type: 'unsubscribed', test_id: msg.test_id }));
        break;
      case 'join_room':
        if (!rooms.has(msg.room)) rooms.set(msg.room, new Set());
        rooms.get(msg.room).add(ws);
        ws.rooms.add(msg.room);
        ws.send(JSON.stringify({ type: 'room_joined', room: msg.room, members_online: rooms.get(msg.room).size, runs: [] }));
        break;
      case 'leave_room':
        rooms.get(msg.room)?.delete(ws);
        ws.rooms.delete(msg.room);
        ws.send(JSON.stringify({ type: 'room_left', room: msg.room }));
        break;
      case 'ping':
        ws.send(JSON.stringify({ type: 'pong', timestamp: msg.timestamp, server_time: Date.now() }));
        break;
      default:
        ws.send(JSON.stringify({ type: 'error', code: 'unknown_type', message: 'unknown message type' }));
    }
  });
  ws.on('close', () => {
    for (const t of ws.subs) subscriptions.get(t)?.delete(ws);
    for (const r of ws.rooms) rooms.get(r)?.delete(ws);
  });
});

// Heartbeat: every 30 s, terminate connections that did not answer the previous ping.
setInterval(() => {
  for (const ws of wss.clients) {
    if (!ws.isAlive) { ws.terminate(); continue; }
    ws.isAlive = false;
    ws.ping();
  }
}, 30_000);

server.listen(PORT, '127.0.0.1', () => console.log(`node baseline listening on 127.0.0.1:${PORT}`));
