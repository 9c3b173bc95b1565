// Print one "REQ {json}" line per HTTP request (method, target, Last-Event-ID) on stdout, so the
// tests can count requests and check the query and cursor a client sent. Loaded before the
// server code; it wraps http.createServer, which express's app.listen() calls.
'use strict';
const http = require('http');

const createServer = http.createServer;
http.createServer = function (...args) {
  const server = createServer.apply(this, args);
  server.prependListener('request', (req) => {
    const lastEventId = req.headers['last-event-id'];
    console.log('REQ ' + JSON.stringify({ method: req.method, url: req.url, lastEventId: lastEventId ?? null }));
  });
  return server;
};
