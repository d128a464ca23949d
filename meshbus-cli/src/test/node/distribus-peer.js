// A distribus 0.4.0 host with peers, driven over stdin/stdout, one JSON object per line each way.
// Usage: node distribus-peer.js. Commands: {"cmd":"join","url":..}, {"cmd":"find","id":..},
// {"cmd":"create","id":..,"echo":bool} (an echo peer sends every message back to its sender),
// {"cmd":"send","from":..,"to":..,"message":..,"buffer":bool} (buffer: send message, a string, as a Buffer).
// Events: listening, joined, found, sent, and message (with message as Node sees it and its type).
'use strict';
// distribus binds every interface and announces the port it was given: bind loopback only, on a free port, and
// announce the one bound. Patched before distribus takes ws.Server.
var ws = require('ws');
var WsServer = ws.Server;
ws.Server = function (options, callback) {
  options.host = '127.0.0.1';
  return new WsServer(options, callback);
};
ws.Server.prototype = WsServer.prototype;
var distribus = require('distribus');
var readline = require('readline');

function out(o) {
  process.stdout.write(JSON.stringify(o) + '\n');
}

var host = new distribus.Host();
var peers = {};

function peer(id, echo) {
  if (!peers[id]) {
    var p = host.create(id);
    peers[id] = p;
    p.on('message', function (from, message) {
      out({event: 'message', to: id, from: from, message: message === undefined ? 'undefined' : message,
        type: Buffer.isBuffer(message) ? 'buffer' : message === null ? 'null' : typeof message});
      if (echo) {
        p.send(from, message).catch(function (err) { out({event: 'echo-failed', to: from, error: err.message}); });
      }
    });
  }
  return peers[id];
}

readline.createInterface({input: process.stdin}).on('line', function (line) {
  var c = JSON.parse(line);
  switch (c.cmd) {
    case 'create':
      peer(c.id, c.echo);
      out({event: 'created', ref: c.ref, id: c.id});
      break;
    case 'join':
      host.join(c.url)
        .then(function () { out({event: 'joined', ref: c.ref, error: null}); })
        .catch(function (err) { out({event: 'joined', ref: c.ref, error: err.message}); });
      break;
    case 'find':
      host.find(c.id)
        .then(function (url) { out({event: 'found', ref: c.ref, url: url}); })
        .catch(function (err) { out({event: 'found', ref: c.ref, error: err.message}); });
      break;
    case 'send':
      peer(c.from).send(c.to, c.buffer ? Buffer.from(c.message) : c.message)
        .then(function () { out({event: 'sent', ref: c.ref, error: null}); })
        .catch(function (err) { out({event: 'sent', ref: c.ref, error: err.message}); });
      break;
  }
}).on('close', function () { process.exit(0); });

host.listen('127.0.0.1', 0).then(function () {
  host.port = host.server._server.address().port;
  host.url = 'ws://127.0.0.1:' + host.port;
  out({event: 'listening', url: host.url});
});
