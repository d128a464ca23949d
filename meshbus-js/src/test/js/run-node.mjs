// Runs one scenario of scenarios.mjs under Node.js against a gateway. argv: scenario, peer id.
// Environment: MESHBUS_CLIENT (file URL of meshbus.js), MESHBUS_URL (ws://...), MESHBUS_TOKEN.
// Prints the result as one JSON line; exit 0 when every check passed.
import WebSocket from 'ws';
import * as scenarios from './scenarios.mjs';

const deadline = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, error: 'scenario did not finish within 60 s' }));
  process.exit(2);
}, 60000);
const { connect } = await import(process.env.MESHBUS_CLIENT);
const [name, id] = process.argv.slice(2);
const result = await scenarios[name]({ connect, url: process.env.MESHBUS_URL, id, token: process.env.MESHBUS_TOKEN,
  WebSocket });
clearTimeout(deadline);
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
