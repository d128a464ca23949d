// A masterless 0.4.1 node driven over stdin/stdout, one JSON object per line each way.
// Usage: node masterless-peer.js <id>. Commands: {"cmd":"connect","info":..}, {"cmd":"send","to":..,"packet":{..}}.
// Events: listening, connected, message.
'use strict';
// masterless's heartbeat calls process.hrtime([]) before the first send, which throws on Node >= 10.
var hrtime = process.hrtime;
process.hrtime = function (prev) {
  return hrtime(Array.isArray(prev) && prev.length === 2 ? prev : undefined);
};
var Server = require('masterless');
var readline = require('readline');

function out(o) {
  process.stdout.write(JSON.stringify(o) + '\n');
}

var node = new Server(process.argv[2], {port: 0, host: '127.0.0.1'});
node.on('listening', function (info) { out({event: 'listening', info: info}); });
node.on('message', function (from, packet) { out({event: 'message', from: from, packet: packet}); });

readline.createInterface({input: process.stdin}).on('line', function (line) {
  var c = JSON.parse(line);
  switch (c.cmd) {
    case 'connect':
      node.connect(c.info, function (err, id) {
        // A link that neither side keeps is dropped: this side keeps it.
        if (!err) {
          node.keep(id, true);
        }
        out({event: 'connected', ref: c.ref, error: err ? err.message : null, id: id || null});
      });
      break;
    case 'send':
      out({event: 'sent', ref: c.ref, ok: node.send(c.to, c.packet)});
      break;
  }
}).on('close', function () { process.exit(0); });
