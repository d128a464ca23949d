// A masterless 0.4.1 node driven over stdin/stdout, one JSON object per line each way.
// Usage: node masterless-node.js <id>. Commands: {"cmd":"connect","info":..,"keep":bool}, {"cmd":"send","to":..,
// "packet":{..}}, {"cmd":"keep","id":..,"keep":bool}, {"cmd":"connections"}, {"cmd":"close"}.
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
node.on('connect', function (id, info) { out({event: 'connect', id: id, info: info}); });
node.on('disconnect', function (id) { out({event: 'disconnect', id: id}); });
node.on('message', function (from, packet) {
  out({event: 'message', from: from, packet: packet});
  if (packet.echo) {
    node.send(from, {echoed: packet.echo});
  }
});

readline.createInterface({input: process.stdin}).on('line', function (line) {
  var c = JSON.parse(line);
  switch (c.cmd) {
    case 'connect':
      node.connect(c.info, function (err, id) {
        if (!err && c.keep) {
          node.keep(id, true);
        }
        out({event: 'connected', ref: c.ref, error: err ? err.message : null, id: id || null});
      });
      break;
    case 'send':
      out({event: 'sent', ref: c.ref, ok: node.send(c.to, c.packet)});
      break;
    case 'keep':
      node.keep(c.id, c.keep);
      break;
    case 'connections':
      out({event: 'connections', ref: c.ref, ids: node.connections()});
      break;
    case 'close':
      node.close(function () { process.exit(0); });
      break;
  }
}).on('close', function () { process.exit(0); });
