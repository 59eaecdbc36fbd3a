#!/usr/bin/env node
/*
 * node-mo-peer.js — an MO generator on node-smpp's server, for
 * bench/mo-latency --peer node.
 *
 * The C sink (bench/smpp-sink) sets TCP_NODELAY; node-smpp's server, like
 * tests/smsc-sim and, by default, many SMSCs, leaves Nagle on.  This peer
 * is that other kind of SMSC: smpp.createServer() from the same npm package
 * as tests/smsc-sim (found through NODE_PATH, which bench/lib-bench.sh sets
 * to the simulator's node_modules), its sockets as node makes them (no
 * setNoDelay unless --nodelay on), one socket.write per PDU as node-smpp
 * does it.
 *
 * It accepts any bind, answers submit_sm with a message id from a counter,
 * enquire_link and unbind; once told to (SIGUSR2 with --mo-start usr2, or at
 * the first receiver-capable bind) it sends N deliver_sm at R per second,
 * paced by a 1 ms timer against process.hrtime (about one a millisecond at
 * 1,000/s; the MO due in one tick are written under one cork), MO i from
 * --mo-from + i (TON 1, NPI 1) to --mo-to with line i mod L of
 * --mo-text-file (data_coding 0 when ASCII, else 8, UCS-2).  Each MO is
 * stamped just before its socket.write; the first submit_sm to that number
 * read afterwards gives its latency, stamped when the socket became
 * readable (a 'readable' listener placed before node-smpp's own), as the
 * sink stamps at its read callback.  Later parts of that answer and other
 * SMS to the number are counted (answer_parts, answers_extra), not timed;
 * submit_sm to numbers that have not sent their MO are submits_unmatched.
 *
 * --stats FILE is written on SIGUSR1 and on SIGTERM/SIGINT (then it exits),
 * with the keys the C sink writes that bench/mo-latency reads (submits,
 * mo_sent, mo_resp_ok, mo_resp_err, mo_resp_err_statuses, answered,
 * unanswered, answer_parts, answers_extra, submits_unmatched,
 * mo_first_sent_us, mo_last_sent_us, mo_lat_p50_us/p99/max/mean: exact,
 * nearest rank).  --times FILE writes, at SIGTERM/SIGINT, one line per MO:
 * "i write_us answer_us" (wall clock, µs since the epoch; 0 = no answer),
 * to hold against a packet capture (bench/README.md, "Nagle").  Listens on
 * 127.0.0.1 only.
 *
 *   node-mo-peer.js [--port P] [--ready-file F] [--stats F] [--times F]
 *                   [--nodelay on|off]
 *                   [--mo N] [--mo-rate R] [--mo-text-file F]
 *                   [--mo-from MSISDN] [--mo-to ADDR] [--mo-start bind|usr2]
 *
 * A benchmark tool: it prints figures and asserts nothing.
 */
'use strict';

const fs = require('fs');
const smpp = require('smpp');

/* Message bodies as raw bytes both ways (tests/smsc-sim does the same):
 * node-smpp's "message" filter would decode short_message into text. */
for (const name of Object.keys(smpp.commands)) {
	const params = smpp.commands[name].params || {};
	if (params.short_message && params.short_message.filter) delete params.short_message.filter;
}
if (smpp.tlvs.message_payload && smpp.tlvs.message_payload.filter) {
	delete smpp.tlvs.message_payload.filter;
}

const opt = {
	port: 0, ready_file: null, stats: null, times: null, nodelay: false,
	mo: 0, mo_rate: 1000, mo_text_file: null, mo_from: 8613900000000n,
	mo_to: '10658000', mo_start: 'bind',
};
for (let i = 2; i < process.argv.length; i++) {
	let a = process.argv[i], v;
	const eq = a.indexOf('=');
	if (eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); } else v = process.argv[++i];
	if (a === '-h' || a === '--help') {
		process.stdout.write('usage: node-mo-peer.js [--port P] [--ready-file F] [--stats F] ' +
			'[--times F] [--nodelay on|off] [--mo N] [--mo-rate R] [--mo-text-file F] [--mo-from MSISDN] ' +
			'[--mo-to ADDR] [--mo-start bind|usr2]\n');
		process.exit(0);
	}
	const k = a.replace(/^--/, '').replace(/-/g, '_');
	if (!(k in opt) || v === undefined) {
		process.stderr.write(`node-mo-peer: bad argument ${a}\n`);
		process.exit(2);
	}
	if (k === 'nodelay') opt[k] = ['on', '1', 'yes', 'true'].includes(v);
	else if (k === 'mo_from') opt[k] = BigInt(v);
	else if (k === 'port' || k === 'mo' || k === 'mo_rate') opt[k] = Number(v);
	else opt[k] = v;
}
if (!['bind', 'usr2'].includes(opt.mo_start) || !(opt.mo_rate > 0) || !(opt.mo >= 0)) {
	process.stderr.write('node-mo-peer: --mo-start bind|usr2, --mo-rate > 0\n');
	process.exit(2);
}

/* The MO texts: ASCII as data_coding 0, anything else as UTF-16BE (8). */
function encode(line) {
	if (/^[\x00-\x7f]*$/.test(line)) return { dcs: 0, sm: Buffer.from(line, 'latin1').subarray(0, 140) };
	const b = Buffer.from(line, 'utf16le');
	b.swap16();
	return { dcs: 8, sm: b.subarray(0, 140 - (140 % 2)) };
}
let texts = [encode('BZ')];
if (opt.mo_text_file) {
	const lines = fs.readFileSync(opt.mo_text_file, 'utf8').split('\n');
	if (lines.length && lines[lines.length - 1] === '') lines.pop();
	if (lines.length === 0) {
		process.stderr.write(`node-mo-peer: ${opt.mo_text_file}: no lines\n`);
		process.exit(1);
	}
	texts = lines.map((l) => encode(l.replace(/\r$/, '')));
}

const N = opt.mo;
const st = {
	submits: 0, binds: 0, unbinds: 0, enquire_links: 0, other_resps: 0,
	mo_sent: 0, mo_resp_ok: 0, mo_resp_err: 0, answer_parts: 0, answers_extra: 0,
	submits_unmatched: 0, mo_first_sent_us: 0, mo_last_sent_us: 0,
};
const errStatuses = new Map();
const sentNs = new Float64Array(N);   /* hrtime ns of MO i's write, 0 = not yet */
const answered = new Uint8Array(N);
const lat = [];                        /* µs, in answer order */
const sentWall = opt.times ? new Float64Array(N) : null;   /* --times: wall µs */
const ansWall = opt.times ? new Float64Array(N) : null;
let readWall = 0;
let nextId = 1, armed = opt.mo_start === 'bind', running = false, rx = null, readNs = 0;

const nowNs = () => Number(process.hrtime.bigint());
const wallUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

/* MO index of a destination: as sent, with '+', or national (86 dropped). */
function moIndex(addr) {
	let a = String(addr || '');
	if (a[0] === '+') a = a.slice(1);
	if (!/^[0-9]{1,19}$/.test(a)) return -1;
	let v = BigInt(a);
	const from = opt.mo_from;
	if (v >= from && v - from < BigInt(N)) return Number(v - from);
	if (a.length === 11 && from >= 8600000000000n && from < 8700000000000n) {
		v += 8600000000000n;
		if (v >= from && v - from < BigInt(N)) return Number(v - from);
	}
	return -1;
}

/* Part 2 or later of a concatenated SMS (UDH IE 0 or 8, or sar_*). */
function laterPart(pdu) {
	if (pdu.sar_segment_seqnum > 1) return true;
	const sm = pdu.short_message;
	if (!(pdu.esm_class & 0x40) || !Buffer.isBuffer(sm) || sm.length < 1) return false;
	const udhl = sm[0];
	for (let i = 1; i + 1 < sm.length && i + 1 <= udhl;) {
		const iei = sm[i], len = sm[i + 1];
		if (iei === 0x00 && len === 3 && i + 4 < sm.length) return sm[i + 4] > 1;
		if (iei === 0x08 && len === 4 && i + 5 < sm.length) return sm[i + 5] > 1;
		i += 2 + len;
	}
	return false;
}

function onSubmit(s, pdu) {
	s.session.send(pdu.response({ message_id: String(nextId++) }));
	st.submits++;
	if (N === 0) return;
	const i = moIndex(pdu.destination_addr);
	if (i < 0 || sentNs[i] === 0) { st.submits_unmatched++; return; }
	if (answered[i]) {
		if (laterPart(pdu)) st.answer_parts++; else st.answers_extra++;
		return;
	}
	answered[i] = 1;
	if (ansWall) ansWall[i] = readWall;
	lat.push(readNs > sentNs[i] ? Math.floor((readNs - sentNs[i]) / 1000) : 0);
}

function onDeliverResp(resp) {
	if (resp.command_status === 0) { st.mo_resp_ok++; return; }
	st.mo_resp_err++;
	errStatuses.set(resp.command_status, (errStatuses.get(resp.command_status) || 0) + 1);
}

let t0 = 0n, timer = null;
function tick() {
	const s = rx;
	if (!s || s.closed) return;
	let due = Number((process.hrtime.bigint() - t0) * BigInt(opt.mo_rate) / 1000000000n) + 1;
	if (due > N) due = N;
	if (due > st.mo_sent + 1000) due = st.mo_sent + 1000;
	if (due <= st.mo_sent) return;
	const first = st.mo_sent;
	s.socket.cork();
	const t = nowNs(), tw = sentWall ? wallUs() : 0;
	for (let i = first; i < due; i++) {
		const tx = texts[i % texts.length];
		sentNs[i] = t;
		if (sentWall) sentWall[i] = tw;
		s.session.deliver_sm({
			source_addr_ton: 1, source_addr_npi: 1, source_addr: (opt.mo_from + BigInt(i)).toString(),
			dest_addr_ton: 0, dest_addr_npi: 1, destination_addr: opt.mo_to,
			esm_class: 0, data_coding: tx.dcs, short_message: tx.sm,
		}, onDeliverResp);
	}
	s.socket.uncork();
	const w = wallUs();
	if (first === 0) st.mo_first_sent_us = w;
	st.mo_last_sent_us = w;
	st.mo_sent = due;
	if (st.mo_sent >= N) { clearInterval(timer); timer = null; running = false; }
}

function maybeStart() {
	if (N === 0 || !armed || running || st.mo_sent > 0 || !rx) return;
	running = true;
	t0 = process.hrtime.bigint();
	timer = setInterval(tick, 1);
	tick();
}

const server = smpp.createServer((session) => {
	const s = { session, socket: session.socket, bound: false, closed: false };
	if (opt.nodelay) session.socket.setNoDelay(true);
	/* Before node-smpp's listener: the time the bytes became readable. */
	session.socket.prependListener('readable', () => {
		readNs = nowNs();
		if (ansWall) readWall = wallUs();
	});
	session.on('pdu', (pdu) => {
		if (pdu.isResponse()) {
			if (pdu.command !== 'deliver_sm_resp') st.other_resps++;
			return; /* deliver_sm_resp: counted by its callback */
		}
		switch (pdu.command) {
		case 'bind_transceiver': case 'bind_receiver': case 'bind_transmitter':
			if (s.bound) { session.send(pdu.response({ command_status: smpp.ESME_RALYBND })); break; }
			s.bound = true;
			st.binds++;
			session.send(pdu.response({ system_id: 'node-mo-peer' }));
			if (pdu.command !== 'bind_transmitter') { rx = s; maybeStart(); }
			break;
		case 'submit_sm': onSubmit(s, pdu); break;
		case 'enquire_link': st.enquire_links++; session.send(pdu.response()); break;
		case 'unbind':
			st.unbinds++;
			session.send(pdu.response());
			setTimeout(() => { if (!s.closed) session.close(); }, 1000).unref();
			break;
		default:
			session.send(new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number,
				command_status: smpp.ESME_RINVCMDID }));
		}
	});
	session.on('error', () => { if (!s.closed) session.destroy(); });
	session.on('close', () => { s.closed = true; if (rx === s) rx = null; });
});

function rank(sorted, q) {
	if (sorted.length === 0) return 0;
	let r = Math.ceil(q * sorted.length);
	if (r < 1) r = 1;
	if (r > sorted.length) r = sorted.length;
	return sorted[r - 1];
}

function writeStats() {
	if (!opt.stats) return;
	const v = Float64Array.from(lat).sort();
	let sum = 0;
	for (const x of v) sum += x;
	const names = { 0x64: 'ESME_RX_T_APPN', 0x65: 'ESME_RX_P_APPN', 0x66: 'ESME_RX_R_APPN',
		0x58: 'ESME_RTHROTTLED', 0x08: 'ESME_RSYSERR' };
	const errs = Array.from(errStatuses, ([k, n]) =>
		`0x${k.toString(16).padStart(8, '0')}${names[k] ? '/' + names[k] : ''}:${n}`).join(',');
	const out = [
		`submits=${st.submits}`, `binds=${st.binds}`, `unbinds=${st.unbinds}`,
		`enquire_links=${st.enquire_links}`, `other_resps=${st.other_resps}`,
		`nodelay=${opt.nodelay ? 1 : 0}`,
		`mo_n=${N}`, `mo_rate=${opt.mo_rate}`, `mo_sent=${st.mo_sent}`,
		`mo_first_sent_us=${st.mo_first_sent_us}`, `mo_last_sent_us=${st.mo_last_sent_us}`,
		`mo_resp_ok=${st.mo_resp_ok}`, `mo_resp_err=${st.mo_resp_err}`, `mo_resp_err_statuses=${errs}`,
		`answered=${v.length}`, `unanswered=${st.mo_sent - v.length}`,
		`answer_parts=${st.answer_parts}`, `answers_extra=${st.answers_extra}`,
		`submits_unmatched=${st.submits_unmatched}`,
		`mo_lat_p50_us=${rank(v, 0.5)}`, `mo_lat_p99_us=${rank(v, 0.99)}`,
		`mo_lat_max_us=${v.length ? v[v.length - 1] : 0}`,
		`mo_lat_mean_us=${v.length ? Math.floor(sum / v.length) : 0}`,
	];
	fs.writeFileSync(opt.stats + '.tmp', out.join('\n') + '\n');
	fs.renameSync(opt.stats + '.tmp', opt.stats);
}

process.on('SIGUSR1', writeStats);
process.on('SIGUSR2', () => { armed = true; maybeStart(); });
function writeTimes() {
	if (!opt.times) return;
	const out = [];
	for (let i = 0; i < st.mo_sent; i++) out.push(`${i} ${sentWall[i]} ${ansWall[i]}`);
	fs.writeFileSync(opt.times, out.join('\n') + '\n');
}
for (const sig of ['SIGTERM', 'SIGINT']) {
	process.on(sig, () => { writeStats(); writeTimes(); process.exit(0); });
}

server.listen(opt.port, '127.0.0.1', () => {
	const port = server.address().port;
	if (opt.ready_file) {
		fs.writeFileSync(opt.ready_file + '.tmp', `${port}\n`);
		fs.renameSync(opt.ready_file + '.tmp', opt.ready_file);
	} else {
		process.stdout.write(`node-mo-peer: listening on 127.0.0.1:${port}\n`);
	}
});
