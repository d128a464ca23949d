// A distribus 0.4.0 host driven over stdin/stdout, one JSON object per line each way.
// Usage: node distribus-host.js <port> [networkId|-] [reconnectTimeoutMs]
'use strict';
var distribus = require('distribus');
var readline = require('readline');

function out(o) {
  process.stdout.write(JSON.stringify(o) + '\n');
}

var options = {};
if (process.argv[3] && process.argv[3] !== '-') {
  options.networkId = process.argv[3];
}
if (process.argv[4]) {
  options.reconnectTimeout = +process.argv[4];
  options.reconnectDelay = 100;
}
var host = new distribus.Host(options);
var peers = {};

function peer(id) {
  if (!peers[id]) {
    var p = host.create(id);
    peers[id] = p;
    p.on('message', function (from, message) {
      out({event: 'message', to: id, from: from, message: message});
      if (message && message.echo) {
        p.send(from, {echoed: message.echo})
          .then(function () { out({event: 'echo-sent', to: from}); })
          .catch(function (err) { out({event: 'echo-failed', to: from, error: err.message}); });
      }
    });
  }
  return peers[id];
}

readline.createInterface({input: process.stdin}).on('line', function (line) {
  var c = JSON.parse(line);
  switch (c.cmd) {
    case 'create':
      peer(c.id);
      out({event: 'created', ref: c.ref, id: c.id});
      break;
    case 'send':
      peer(c.from).send(c.to, c.message)
        .then(function (r) { out({event: 'sent', ref: c.ref, result: r === undefined ? 'undefined' : r}); })
        .catch(function (err) { out({event: 'sent', ref: c.ref, error: err.message}); });
      break;
    case 'sendBuffer':
      peer(c.from).send(c.to, Buffer.from(c.bytes))
        .then(function (r) { out({event: 'sent', ref: c.ref, result: r === undefined ? 'undefined' : r}); })
        .catch(function (err) { out({event: 'sent', ref: c.ref, error: err.message}); });
      break;
    case 'find':
      host.find(c.id)
        .then(function (url) { out({event: 'found', ref: c.ref, url: url}); })
        .catch(function (err) { out({event: 'found', ref: c.ref, error: err.message}); });
      break;
    case 'subscribe':
      host.subscribe(c.channel, function (message) {
        out({event: 'published', channel: c.channel, message: message});
      });
      out({event: 'subscribed', ref: c.ref});
      break;
    case 'publish':
      host.publish(c.channel, c.message);
      break;
    case 'join':
      host.join(c.url)
        .then(function () { out({event: 'joined', ref: c.ref, error: null}); })
        .catch(function (err) { out({event: 'joined', ref: c.ref, error: err.message}); });
      break;
    case 'connections':
      out({event: 'connections', ref: c.ref, urls: Object.keys(host.connections).sort()});
      break;
    case 'close':
      host.close().then(function () { out({event: 'closed', ref: c.ref}); });
      break;
  }
}).on('close', function () { process.exit(0); });

host.listen('127.0.0.1', +process.argv[2]).then(function () {
  out({event: 'listening', url: host.url});
});
