// bench/http-sink.js — a tiny HTTP responder on 127.0.0.1 for benchmarks:
// the DLR URL (mtbatch -u) of bench/vs-kannel.  Answers every request 200
// "ok" at once and counts them.
//
//   node bench/http-sink.js READY_FILE [COUNT_FILE]
//
// Writes its port to READY_FILE once listening; on SIGTERM writes the
// request count to COUNT_FILE (when given) and exits.
'use strict';
const http = require('http');
const fs = require('fs');

const [ready, countFile] = process.argv.slice(2);
let count = 0;
const server = http.createServer((req, res) => {
	count++;
	req.resume();
	res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 });
	res.end('ok');
});
server.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(ready + '.tmp', String(server.address().port) + '\n');
	fs.renameSync(ready + '.tmp', ready);
});
process.on('SIGTERM', () => {
	if (countFile) fs.writeFileSync(countFile, String(count) + '\n');
	process.exit(0);
});
