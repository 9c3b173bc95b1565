// A tiny better-sse app: GET /events?topic=NAME (required, 400 without) streams the topic's
// events; on reconnect it replays what follows the Last-Event-ID (better-sse's session.lastId).
// POST /publish?topic=NAME&type=TYPE with a JSON body publishes one event with a UUID id.
// Listens on 127.0.0.1:$PORT and prints "LISTENING <url>".
'use strict';
require('./request_log');
const http = require('http');
const crypto = require('crypto');
const { createSession } = require('better-sse');

const logs = new Map(); // topic -> [{id, type, data}]
const sessions = new Map(); // topic -> Set<Session>

function topicOf(url) {
  return url.searchParams.get('topic');
}

async function onEvents(req, res, url) {
  const topic = topicOf(url);
  if (!topic) {
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end('topic is required');
    return;
  }
  const session = await createSession(req, res, { keepAlive: 1000 });
  const log = logs.get(topic) || [];
  const from = session.lastId ? log.findIndex((e) => e.id === session.lastId) + 1 : log.length;
  for (const e of log.slice(from)) session.push(e.data, e.type, e.id);
  if (!sessions.has(topic)) sessions.set(topic, new Set());
  sessions.get(topic).add(session);
  session.on('disconnected', () => sessions.get(topic).delete(session));
}

function onPublish(req, res, url) {
  const topic = topicOf(url);
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const event = { id: crypto.randomUUID(), type: url.searchParams.get('type') || 'message', data: JSON.parse(body) };
    if (!logs.has(topic)) logs.set(topic, []);
    logs.get(topic).push(event);
    for (const s of sessions.get(topic) || []) s.push(event.data, event.type, event.id);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: event.id }));
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/events') return void onEvents(req, res, url);
  if (req.method === 'POST' && url.pathname === '/publish') return onPublish(req, res, url);
  res.writeHead(404).end();
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`LISTENING http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
