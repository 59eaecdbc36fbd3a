// bench/http-sink.js — a tiny HTTP responder on 127.0.0.1 for benchmarks:
// the DLR URL (mtbatch -u) of bench/vs-kannel and the provisioning endpoint
// ([provisioning] url) of bench/mo-latency.  Answers every request at once
// with 200 and the JSON body {"result":"ok"} (a successful activation, as
// docs/webhook.md describes it), and counts them.
//
//   node bench/http-sink.js READY_FILE [COUNT_FILE]
//
// Writes its port to READY_FILE once listening; on SIGTERM writes the
// request count to COUNT_FILE (when given) and exits.
'use strict';
const http = require('http');
const fs = require('fs');

const [ready, countFile] = process.argv.slice(2);
const BODY = Buffer.from('{"result":"ok"}');
let count = 0;
const server = http.createServer((req, res) => {
	count++;
	req.resume();
	res.writeHead(200, {
		'Content-Type': 'application/json',
		'Content-Length': BODY.length,
	});
	res.end(BODY);
});
server.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(ready + '.tmp', String(server.address().port) + '\n');
	fs.renameSync(ready + '.tmp', ready);
});
process.on('SIGTERM', () => {
	if (countFile) fs.writeFileSync(countFile, String(count) + '\n');
	process.exit(0);
});
