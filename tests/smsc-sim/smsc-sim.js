#!/usr/bin/env node
/*
 * smsc-sim.js — an SMPP 3.4 SMSC simulator for vasgw's end-to-end tests and
 * the demo.  Built on node-smpp 0.5.1 (smpp.createServer) for the framing and
 * PDU layout; every message body (short_message / message_payload) is kept as
 * raw bytes and encoded / decoded here, so what the tests see is exactly what
 * was on the wire.
 *
 * Listens on 127.0.0.1 only.  See README.md for options, the HTTP control API
 * and the event format.
 */
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const smpp = require('smpp');

/* ------------------------------------------------------------------------ */
/* node-smpp: keep message bodies raw.                                       */
/*                                                                           */
/* node-smpp 0.5.1 runs short_message (and the message_payload TLV) through  */
/* a "message" filter: on decode it splits off the UDH when esm_class & 0x40 */
/* and decodes the rest (GSM for dcs 0, UTF-16BE for dcs 8, ...) into        */
/* {udh: [IE buffers], message: string}; on encode a Buffer passes through   */
/* untouched, a string (or {udh, message}) is encoded after data_coding and  */
/* the UDH prepended with esm_class |= 0x40.  Its GSM decoder turns unknown   */
/* bytes into spaces and its UDH test has a precedence bug, so we drop the   */
/* filter and do the codec ourselves on the raw bytes.                       */
/* ------------------------------------------------------------------------ */
for (const name of Object.keys(smpp.commands)) {
	const params = smpp.commands[name].params || {};
	if (params.short_message && params.short_message.filter) {
		delete params.short_message.filter;
	}
}
if (smpp.tlvs.message_payload && smpp.tlvs.message_payload.filter) {
	delete smpp.tlvs.message_payload.filter;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

const BOOL_OPTS = new Set(['receipts', 'receipt_before_resp', 'drop_repeat', 'hold_responses', 'answer_enquire_link']);
const STR_OPTS = new Set(['id_format', 'receipt_id_format', 'receipt_tlv_id_format', 'password',
	'system_id', 'system_type', 'receipt_stat', 'receipt_err', 'receipt_format', 'ready_file', 'events']);

const cfg = {
	port: 0,
	control_port: null,
	ready_file: null,
	events: null,
	receipts: false,
	receipt_before_resp: false, /* the receipt goes out before submit_sm_resp */
	receipt_delay_ms: 0,
	receipt_stat: 'DELIVRD',
	receipt_err: '000',
	receipt_format: 'both',          /* text | tlv | both */
	id_format: 'dec',                /* dec | hex | HEX */
	id_start: 1000,
	receipt_id_format: 'same',       /* same | dec | hex | HEX | pad */
	receipt_tlv_id_format: 'same',
	throttle: 0,
	throttle_every: 0,
	qfull: 0,
	qfull_every: 0,
	reject_status: 0,
	drop_after: 0,
	drop_repeat: false,
	hold_responses: false,
	resp_delay_ms: 0,
	refuse_bind: 0,
	refuse_bind_count: 0,            /* 0: refuse every bind while refuse_bind is set */
	password: null,
	system_id: null,
	system_type: null,
	mo_resp_wait_ms: 5000,
	answer_enquire_link: true,
	enquire_link_ms: 0,
	redeliver_ms: 0,
	redeliver_max: 3,
	max_events: 200000,
};

function optName(k) {
	return String(k).replace(/^--/, '').replace(/-/g, '_');
}

function parseBool(what, v) {
	if (typeof v === 'boolean') return v;
	if (typeof v === 'number') return v !== 0;
	const s = String(v).toLowerCase();
	if (['on', 'true', 'yes', '1'].includes(s)) return true;
	if (['off', 'false', 'no', '0'].includes(s)) return false;
	throw new Error(`${what}: expected on|off, got ${v}`);
}

function parseValue(name, v) {
	if (BOOL_OPTS.has(name)) return parseBool(`option ${name}`, v);
	if (STR_OPTS.has(name)) {
		return v === null ? null : String(v);
	}
	if (v === null) return 0;
	const n = typeof v === 'number' ? v : Number(String(v).trim());
	if (!Number.isFinite(n)) throw new Error(`option ${name}: expected a number, got ${v}`);
	return n;
}

/* Counters tied to options: setting the option (re)starts the count. */
const counters = { throttle_left: 0, qfull_left: 0, every_n: 0, drop_n: 0, refuse_left: 0 };

function applyOption(rawName, value) {
	const name = optName(rawName);
	if (!(name in cfg)) throw new Error(`unknown option ${rawName}`);
	const v = parseValue(name, value);
	if (name === 'id_format' || name === 'receipt_id_format' || name === 'receipt_tlv_id_format') {
		const ok = name === 'id_format' ? ['dec', 'hex', 'HEX'] : ['same', 'dec', 'hex', 'HEX', 'pad'];
		if (!ok.includes(v)) throw new Error(`option ${name}: one of ${ok.join('|')}`);
	}
	if (name === 'receipt_format' && !['text', 'tlv', 'both'].includes(v)) {
		throw new Error('option receipt_format: one of text|tlv|both');
	}
	cfg[name] = v;
	switch (name) {
	case 'throttle': counters.throttle_left = v; break;
	case 'qfull': counters.qfull_left = v; break;
	case 'throttle_every': case 'qfull_every': counters.every_n = 0; break;
	case 'drop_after': counters.drop_n = 0; break;
	case 'refuse_bind': case 'refuse_bind_count': counters.refuse_left = cfg.refuse_bind_count; break;
	case 'id_start': nextId = v; break;
	case 'hold_responses': if (!v) releaseHeld(); break;
	case 'enquire_link_ms': for (const s of sessions) armEnquireLink(s); break;
	}
	return v;
}

let nextId = cfg.id_start;

function parseArgs(argv) {
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '-h' || a === '--help') {
			process.stdout.write('usage: smsc-sim.js [--port P] [--control-port P] [--ready-file F] ' +
				'[--events F] [--<option> value ...]\nSee README.md in ' + __dirname + '\n');
			process.exit(0);
		}
		if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
		const eq = a.indexOf('=');
		if (eq > 0) {
			applyOption(a.slice(0, eq), a.slice(eq + 1));
		} else {
			if (i + 1 >= argv.length) throw new Error(`option ${a} needs a value`);
			applyOption(a, argv[++i]);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

let events = [];
const stats = {
	connections: 0, bind_attempts: 0, binds: 0, binds_refused: 0, submits: 0,
	submits_accepted: 0, submits_rejected: 0, submit_resps: 0, delivers: 0,
	deliver_resps: 0, receipts: 0, mo: 0, unbinds: 0, enquire_links: 0,
	generic_nacks: 0, drops: 0, errors: 0, raw_sent: 0,
	deliver_resps_lost: 0, redelivered: 0,
};

function emit(ev) {
	const rec = Object.assign({ ev: ev.ev }, ev, { t: Date.now() });
	events.push(rec);
	if (events.length > cfg.max_events) events.splice(0, events.length - cfg.max_events);
	if (cfg.events) {
		try {
			fs.appendFileSync(cfg.events, JSON.stringify(rec) + '\n');
		} catch (e) {
			process.stderr.write(`smsc-sim: cannot write events file: ${e.message}\n`);
		}
	}
	return rec;
}

function logErr(msg) {
	process.stderr.write(`smsc-sim: ${msg}\n`);
}

/* ------------------------------------------------------------------------ */
/* Text codecs (GSM 03.38 unpacked, one septet per octet; UCS-2 big endian) */
/* ------------------------------------------------------------------------ */

const GSM_BASIC =
	'@£$¥èéùìòÇ\nØø\rÅå' +
	'Δ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ' +
	' !"#¤%&\'()*+,-./' +
	'0123456789:;<=>?' +
	'¡ABCDEFGHIJKLMNO' +
	'PQRSTUVWXYZÄÖÑÜ§' +
	'¿abcdefghijklmno' +
	'pqrstuvwxyzäöñüà';
const GSM_EXT = { 0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\', 0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€' };

const gsmEnc = new Map();
for (let i = 0; i < 128; i++) if (i !== 0x1b) gsmEnc.set(GSM_BASIC[i], [i]);
for (const [code, ch] of Object.entries(GSM_EXT)) gsmEnc.set(ch, [0x1b, Number(code)]);

/* code points of a string (surrogate pairs kept together) */
function codePoints(s) {
	return Array.from(s);
}

function gsmEncodable(s) {
	for (const ch of codePoints(s)) if (!gsmEnc.has(ch)) return false;
	return true;
}

function gsmEncode(chars) {
	const out = [];
	for (const ch of chars) {
		const c = gsmEnc.get(ch);
		if (!c) throw new Error(`character U+${ch.codePointAt(0).toString(16).toUpperCase()} is not in GSM 03.38`);
		out.push(...c);
	}
	return Buffer.from(out);
}

function gsmDecode(buf) {
	let s = '';
	for (let i = 0; i < buf.length; i++) {
		const b = buf[i];
		if (b > 0x7f) { s += '\ufffd'; continue; }
		if (b === 0x1b) {
			if (i + 1 >= buf.length) break;           /* dangling escape */
			const n = buf[++i];
			s += GSM_EXT[n] !== undefined ? GSM_EXT[n] : (n <= 0x7f && n !== 0x1b ? GSM_BASIC[n] : '\ufffd');
			continue;
		}
		s += GSM_BASIC[b];
	}
	return s;
}

function ucs2Encode(chars) {
	const s = chars.join('');
	const b = Buffer.alloc(s.length * 2);
	for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
	return b;
}

function ucs2Decode(buf) {
	let s = '';
	for (let i = 0; i + 1 < buf.length; i += 2) s += String.fromCharCode(buf.readUInt16BE(i));
	/* lone surrogates would make invalid UTF-8 in the events file */
	return s.toWellFormed ? s.toWellFormed() : Buffer.from(s, 'utf8').toString('utf8');
}

/* Which alphabet a data_coding value means. */
function alphabetOf(dcs) {
	dcs = dcs & 0xff;
	if ((dcs & 0xf0) === 0xf0) return (dcs & 0x04) ? 'binary' : 'gsm';
	if ((dcs & 0xc0) === 0x00 && (dcs & 0x30)) {   /* general data coding group with class/compression bits */
		const a = (dcs >> 2) & 0x03;
		return a === 0 ? 'gsm' : a === 1 ? 'binary' : a === 2 ? 'ucs2' : 'binary';
	}
	switch (dcs) {
	case 0x00: return 'gsm';
	case 0x01: return 'ascii';
	case 0x02: case 0x04: return 'binary';
	case 0x03: return 'latin1';
	case 0x08: return 'ucs2';
	default: return 'binary';
	}
}

function decodeText(dcs, buf) {
	switch (alphabetOf(dcs)) {
	case 'gsm': return gsmDecode(buf);
	case 'ascii': return buf.toString('latin1').replace(/[\x80-\xff]/g, '\ufffd');
	case 'latin1': return buf.toString('latin1');
	case 'ucs2': return ucs2Decode(buf);
	default: return null;
	}
}

function encodeText(dcs, chars) {
	switch (alphabetOf(dcs)) {
	case 'gsm': return gsmEncode(chars);
	case 'ucs2': return ucs2Encode(chars);
	case 'ascii': case 'latin1': return Buffer.from(chars.join(''), 'latin1');
	default: return Buffer.from(chars.join(''), 'utf8');
	}
}

/* Split a short_message into UDH and payload; parse the concatenation IE. */
function splitUdh(sm, esmClass) {
	if (!(esmClass & 0x40) || sm.length === 0) return { udh: null, payload: sm, concat: null };
	const udhl = sm[0];
	const udh = sm.slice(0, Math.min(sm.length, udhl + 1));
	const payload = sm.slice(Math.min(sm.length, udhl + 1));
	let concat = null;
	for (let i = 1; i + 1 < udh.length;) {
		const iei = udh[i], len = udh[i + 1];
		const d = udh.slice(i + 2, i + 2 + len);
		if (iei === 0x00 && len === 3 && d.length === 3) concat = { ref: d[0], total: d[1], seq: d[2], ref16: false };
		if (iei === 0x08 && len === 4 && d.length === 4) concat = { ref: d.readUInt16BE(0), total: d[2], seq: d[3], ref16: true };
		i += 2 + len;
	}
	return { udh, payload, concat };
}

function hex(b) {
	return b ? Buffer.from(b).toString('hex') : null;
}

function bufFromHex(h, what) {
	const s = String(h).replace(/[\s:]/g, '');
	if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error(`${what}: not a hex string`);
	return Buffer.from(s, 'hex');
}

/* ------------------------------------------------------------------------ */
/* Message ids                                                               */
/* ------------------------------------------------------------------------ */

function formatId(n, fmt) {
	switch (fmt) {
	case 'hex': return n.toString(16);
	case 'HEX': return n.toString(16).toUpperCase();
	default: return String(n);
	}
}

/* submitted: message_id -> {n, source, dest, text, sid, system_id, submitted_at} */
const submitted = new Map();

function idNumber(id) {
	const rec = submitted.get(id);
	if (rec) return rec.n;
	const n = cfg.id_format === 'dec' ? Number(id) : parseInt(id, 16);
	return Number.isSafeInteger(n) && /^[0-9a-fA-F]+$/.test(id) ? n : null;
}

function receiptIdSpelling(id, fmt) {
	const n = idNumber(id);
	if (fmt === 'same' || n === null) return id;
	if (fmt === 'pad') return id.length >= 10 ? id : '0'.repeat(10 - id.length) + id;
	return formatId(n, fmt);
}

/* ------------------------------------------------------------------------ */
/* Sessions                                                                  */
/* ------------------------------------------------------------------------ */

const sessions = new Set();
let nextSid = 1;

const BIND_TYPES = {
	bind_transceiver: { tx: true, rx: true },
	bind_transmitter: { tx: true, rx: false },
	bind_receiver: { tx: false, rx: true },
};

function canRx(s) { return s.bound && BIND_TYPES[s.bindType].rx && !s.closed && !s.deaf; }
function canTx(s) { return s.bound && BIND_TYPES[s.bindType].tx && !s.closed && !s.deaf; }

/* The session MO and receipts go to: the most recently bound receiver or
 * transceiver (optionally with a given system_id, or a given sid). */
function pickRx(opts) {
	opts = opts || {};
	let best = null;
	for (const s of sessions) {
		if (!canRx(s)) continue;
		if (opts.sid && s.sid !== opts.sid) continue;
		if (opts.system_id && s.systemId !== opts.system_id) continue;
		if (!best || s.boundAt >= best.boundAt) best = s;
	}
	return best;
}

function pickAny(sid) {
	let best = null;
	for (const s of sessions) {
		if (s.closed) continue;
		if (sid && s.sid !== sid) continue;
		if (!best || (s.bound && !best.bound) || (s.bound === best.bound && s.sid > best.sid)) best = s;
	}
	return best;
}

function destroySession(s, reason) {
	if (s.closed) return;
	const unanswered = s.pendingResps.map((p) => p.seq);
	emit({ ev: 'drop', sid: s.sid, reason, unanswered });
	stats.drops++;
	s.pendingResps = [];
	s.session.destroy();
}

function armEnquireLink(s) {
	if (s.elTimer) { clearInterval(s.elTimer); s.elTimer = null; }
	if (cfg.enquire_link_ms > 0 && !s.closed) {
		s.elTimer = setInterval(() => {
			if (s.bound) send(s, new smpp.PDU('enquire_link', {}), null);
		}, cfg.enquire_link_ms);
	}
}

/* Send a request PDU; onResp(pdu|null) is called with the response or with
 * null when the session closes first. */
function send(s, pdu, onResp) {
	if (s.closed) { if (onResp) onResp(null); return null; }
	if (!s.session.send(pdu)) { if (onResp) onResp(null); return null; }
	if (onResp) s.waiting.set(pdu.sequence_number, onResp);
	return pdu.sequence_number;
}

function respond(s, pdu, opts) {
	if (s.closed) return;
	s.session.send(pdu.response(opts || {}));
}

function onSession(session) {
	const s = {
		sid: nextSid++,
		session,
		socket: session.socket,
		bound: false,
		bindType: null,
		systemId: null,
		boundAt: 0,
		closed: false,
		pendingResps: [],      /* submit_sm responses not yet written */
		waiting: new Map(),    /* our request seq -> callback */
		losing: new Set(),     /* seqs of deliver_sm whose response is to be lost */
		deaf: false,           /* set by loseResponse: read nothing more */
		elTimer: null,
	};
	sessions.add(s);
	stats.connections++;
	emit({ ev: 'connect', sid: s.sid, peer: `${session.socket.remoteAddress}:${session.socket.remotePort}` });
	armEnquireLink(s);

	session.on('pdu', (pdu) => {
		try {
			onPdu(s, pdu);
		} catch (e) {
			stats.errors++;
			emit({ ev: 'error', sid: s.sid, message: `handling ${pdu.command}: ${e.message}` });
			logErr(e.stack);
		}
	});

	session.on('error', (e) => {
		stats.errors++;
		emit({ ev: 'error', sid: s.sid, message: e.message, code: e.code || null });
		/* A decode error leaves node-smpp's reader stuck; a real SMSC would drop
		 * a link whose framing it cannot follow. Socket errors close anyway. */
		if (!s.closed) session.destroy();
	});

	session.on('close', () => {
		if (s.closed) return;
		s.closed = true;
		if (s.elTimer) clearInterval(s.elTimer);
		sessions.delete(s);
		emit({ ev: 'close', sid: s.sid, system_id: s.systemId, bound: s.bound,
			unanswered: s.pendingResps.map((p) => p.seq) });
		for (const p of s.pendingResps) if (p.timer) clearTimeout(p.timer);
		s.pendingResps = [];
		const w = Array.from(s.waiting.values());
		s.waiting.clear();
		for (const cb of w) cb(null);
	});
}

function onPdu(s, pdu) {
	/* a link given up by loseResponse(): nothing more is read on it */
	if (s.deaf) return;
	if (pdu.isResponse()) {
		if (s.losing.has(pdu.sequence_number)) {
			loseResponse(s, pdu);
			return;
		}
		onResponse(s, pdu);
		return;
	}
	switch (pdu.command) {
	case 'bind_transceiver':
	case 'bind_transmitter':
	case 'bind_receiver':
		onBind(s, pdu);
		break;
	case 'submit_sm':
		onSubmit(s, pdu);
		break;
	case 'data_sm':
		onDataSm(s, pdu);
		break;
	case 'enquire_link':
		stats.enquire_links++;
		emit({ ev: 'enquire_link', sid: s.sid, seq: pdu.sequence_number, answered: cfg.answer_enquire_link });
		if (cfg.answer_enquire_link) respond(s, pdu);
		break;
	case 'unbind':
		stats.unbinds++;
		emit({ ev: 'unbind', sid: s.sid, seq: pdu.sequence_number, system_id: s.systemId });
		respond(s, pdu);
		s.bound = false;
		/* the ESME closes after unbind_resp; make sure it does */
		setTimeout(() => { if (!s.closed) s.session.close(); }, 1000).unref();
		break;
	case 'unknown':
		emit({ ev: 'unknown_pdu', sid: s.sid, command_id: pdu.command_id, seq: pdu.sequence_number });
		respond(s, pdu, { command_status: smpp.ESME_RINVCMDID });
		break;
	default:
		emit({ ev: 'unsupported', sid: s.sid, command: pdu.command, seq: pdu.sequence_number });
		if (smpp.commands[pdu.command + '_resp']) {
			respond(s, pdu, { command_status: smpp.ESME_RINVCMDID });
		} else if (!s.closed) {
			s.session.send(new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number,
				command_status: smpp.ESME_RINVCMDID }));
		}
		break;
	}
}

function onResponse(s, pdu) {
	const cb = s.waiting.get(pdu.sequence_number);
	s.waiting.delete(pdu.sequence_number);
	switch (pdu.command) {
	case 'deliver_sm_resp':
		stats.deliver_resps++;
		emit({ ev: 'deliver_sm_resp', sid: s.sid, seq: pdu.sequence_number, status: pdu.command_status,
			message_id: pdu.message_id !== undefined ? pdu.message_id : null });
		break;
	case 'generic_nack':
		stats.generic_nacks++;
		emit({ ev: 'generic_nack', sid: s.sid, seq: pdu.sequence_number, status: pdu.command_status });
		break;
	case 'enquire_link_resp':
		emit({ ev: 'enquire_link_resp', sid: s.sid, seq: pdu.sequence_number });
		break;
	case 'unbind_resp':
		emit({ ev: 'unbind_resp', sid: s.sid, seq: pdu.sequence_number, status: pdu.command_status });
		break;
	default:
		emit({ ev: 'response', sid: s.sid, command: pdu.command, command_id: pdu.command_id,
			seq: pdu.sequence_number, status: pdu.command_status });
	}
	if (cb) cb(pdu);
}

function onBind(s, pdu) {
	stats.bind_attempts++;
	let status = 0;
	if (s.bound) {
		status = smpp.ESME_RALYBND;
	} else if (cfg.refuse_bind && (cfg.refuse_bind_count === 0 || counters.refuse_left > 0)) {
		status = cfg.refuse_bind;
		if (cfg.refuse_bind_count > 0) counters.refuse_left--;
	} else if (cfg.system_id !== null && pdu.system_id !== cfg.system_id) {
		status = smpp.ESME_RINVSYSID;
	} else if (cfg.password !== null && pdu.password !== cfg.password) {
		status = smpp.ESME_RINVPASWD;
	} else if (cfg.system_type !== null && pdu.system_type !== cfg.system_type) {
		status = smpp.ESME_RBINDFAIL;
	}
	const accepted = status === 0;
	emit({ ev: 'bind', sid: s.sid, type: pdu.command, system_id: pdu.system_id, password: pdu.password,
		system_type: pdu.system_type, interface_version: pdu.interface_version, accepted, status });
	if (accepted) {
		stats.binds++;
		s.bound = true;
		s.bindType = pdu.command;
		s.systemId = pdu.system_id;
		s.boundAt = Date.now() + s.sid / 1e6;
		respond(s, pdu, { system_id: 'SMSCSIM' });
		if (BIND_TYPES[pdu.command].rx) {
			setImmediate(() => { flushRedeliveries(s); flushStored(); });
		}
	} else {
		stats.binds_refused++;
		respond(s, pdu, { command_status: status });
	}
}

function decideSubmitStatus() {
	if (cfg.reject_status) return cfg.reject_status;
	if (counters.throttle_left > 0) { counters.throttle_left--; return smpp.ESME_RTHROTTLED; }
	if (counters.qfull_left > 0) { counters.qfull_left--; return smpp.ESME_RMSGQFUL; }
	if (cfg.throttle_every > 0 || cfg.qfull_every > 0) {
		counters.every_n++;
		if (cfg.throttle_every > 0 && counters.every_n % cfg.throttle_every === 0) return smpp.ESME_RTHROTTLED;
		if (cfg.qfull_every > 0 && counters.every_n % cfg.qfull_every === 0) return smpp.ESME_RMSGQFUL;
	}
	return 0;
}

function messageOf(pdu) {
	let sm = Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0);
	let viaPayload = false;
	if (sm.length === 0 && Buffer.isBuffer(pdu.message_payload)) {
		sm = pdu.message_payload;
		viaPayload = true;
	}
	const esm = pdu.esm_class || 0;
	const dcs = pdu.data_coding || 0;
	const { udh, payload, concat } = splitUdh(sm, esm);
	let sar = null;
	if (pdu.sar_msg_ref_num !== undefined) {
		sar = { ref: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, seq: pdu.sar_segment_seqnum };
	}
	return { dcs, esm, udh, payload, concat, sar, viaPayload, text: decodeText(dcs, payload) };
}

function onSubmit(s, pdu) {
	stats.submits++;
	const m = messageOf(pdu);
	const ev = {
		ev: 'submit', sid: s.sid, seq: pdu.sequence_number, system_id: s.systemId,
		source: pdu.source_addr, source_ton: pdu.source_addr_ton, source_npi: pdu.source_addr_npi,
		dest: pdu.destination_addr, dest_ton: pdu.dest_addr_ton, dest_npi: pdu.dest_addr_npi,
		service_type: pdu.service_type, esm_class: m.esm, protocol_id: pdu.protocol_id,
		registered_delivery: pdu.registered_delivery, dcs: m.dcs,
		udh: hex(m.udh), concat: m.concat, sar: m.sar, message_payload: m.viaPayload,
		payload_hex: hex(m.payload), text: m.text,
		ussd_service_op: pdu.ussd_service_op !== undefined ? pdu.ussd_service_op : null,
		its_session_info: Buffer.isBuffer(pdu.its_session_info) ? hex(pdu.its_session_info) : null,
		user_message_reference: pdu.user_message_reference !== undefined ? pdu.user_message_reference : null,
		message_id: null, status: null,
	};

	if (!canTx(s)) {
		ev.status = smpp.ESME_RINVBNDSTS;
		emit(ev);
		stats.submits_rejected++;
		respond(s, pdu, { command_status: ev.status });
		return;
	}

	if (cfg.drop_after > 0) {
		counters.drop_n++;
		if (counters.drop_n >= cfg.drop_after) {
			counters.drop_n = 0;
			if (!cfg.drop_repeat) cfg.drop_after = 0;
			ev.dropped = true;
			emit(ev);
			s.pendingResps.push({ seq: pdu.sequence_number });
			destroySession(s, 'drop-after');
			return;
		}
	}

	const status = decideSubmitStatus();
	ev.status = status;
	if (status === 0) {
		const n = nextId++;
		const id = formatId(n, cfg.id_format);
		ev.message_id = id;
		submitted.set(id, {
			n, source: pdu.source_addr, dest: pdu.destination_addr, text: m.text,
			sid: s.sid, system_id: s.systemId, at: new Date(),
		});
		stats.submits_accepted++;
	} else {
		stats.submits_rejected++;
	}
	emit(ev);
	ussdScreen(ev, pdu);

	const p = { seq: pdu.sequence_number, pdu, status, id: ev.message_id,
		receipt: status === 0 && cfg.receipts && (pdu.registered_delivery & 0x01) !== 0, timer: null };
	s.pendingResps.push(p);
	if (p.receipt && cfg.receipt_before_resp) {
		/* Some SMSCs deliver the receipt before the response: test for it. */
		queueReceipt({ message_id: p.id });
		p.receipt = false;
	}
	if (cfg.hold_responses) return;
	if (cfg.resp_delay_ms > 0) {
		p.timer = setTimeout(() => { p.timer = null; if (!cfg.hold_responses) writeSubmitResp(s, p); }, cfg.resp_delay_ms);
	} else {
		writeSubmitResp(s, p);
	}
}

function writeSubmitResp(s, p) {
	const i = s.pendingResps.indexOf(p);
	if (i < 0 || s.closed) return;
	s.pendingResps.splice(i, 1);
	if (p.status === 0) respond(s, p.pdu, { message_id: p.id });
	else respond(s, p.pdu, { command_status: p.status });
	stats.submit_resps++;
	emit({ ev: 'submit_resp', sid: s.sid, seq: p.seq, status: p.status, message_id: p.id });
	if (p.receipt) {
		const go = () => queueReceipt({ message_id: p.id });
		if (cfg.receipt_delay_ms > 0) setTimeout(go, cfg.receipt_delay_ms); else go();
	}
}

function releaseHeld() {
	for (const s of sessions) {
		for (const p of s.pendingResps.slice()) {
			if (p.pdu && !p.timer) writeSubmitResp(s, p);
		}
	}
}

function onDataSm(s, pdu) {
	stats.submits++;
	const m = messageOf(pdu);
	const ev = { ev: 'data_sm', sid: s.sid, seq: pdu.sequence_number, source: pdu.source_addr,
		dest: pdu.destination_addr, dcs: m.dcs, esm_class: m.esm, udh: hex(m.udh),
		payload_hex: hex(m.payload), text: m.text, message_id: null, status: 0 };
	if (!canTx(s)) {
		ev.status = smpp.ESME_RINVBNDSTS;
		emit(ev);
		respond(s, pdu, { command_status: ev.status });
		return;
	}
	const status = decideSubmitStatus();
	ev.status = status;
	if (status === 0) ev.message_id = formatId(nextId++, cfg.id_format);
	emit(ev);
	respond(s, pdu, status === 0 ? { message_id: ev.message_id } : { command_status: status });
}

/* ------------------------------------------------------------------------ */
/* Outgoing deliver_sm (MO and receipts)                                     */
/* ------------------------------------------------------------------------ */

const stored = [];   /* receipts waiting for a receiver to bind */

/* Send one deliver_sm. opts: {source, dest, dcs, esm_class, sm (Buffer), tlvs,
 * kind, meta}. cb(status|null, sid, seq). Redelivers on failure when
 * redeliver_ms > 0. */
function deliver(opts, cb, attempt) {
	attempt = attempt || 1;
	const s = pickRx(opts.route);
	if (!s) {
		if (cb) cb(null, null, null, 'no receiver bound');
		return false;
	}
	const fields = Object.assign({
		service_type: '',
		source_addr_ton: opts.source_ton !== undefined ? opts.source_ton : 1,
		source_addr_npi: opts.source_npi !== undefined ? opts.source_npi : 1,
		source_addr: opts.source,
		dest_addr_ton: opts.dest_ton !== undefined ? opts.dest_ton : 0,
		dest_addr_npi: opts.dest_npi !== undefined ? opts.dest_npi : 1,
		destination_addr: opts.dest,
		esm_class: opts.esm_class,
		protocol_id: 0,
		priority_flag: 0,
		registered_delivery: 0,
		data_coding: opts.dcs,
		short_message: opts.sm,
	}, opts.tlvs || {});
	/* "command": "data_sm" — the same message as a data_sm, its octets in
	 * message_payload (SMPP 3.4 4.7; some SMSCs deliver USSD so) */
	let pdu;
	if (opts.command === 'data_sm') {
		for (const k of ['protocol_id', 'priority_flag', 'short_message']) delete fields[k];
		fields.message_payload = opts.sm;
		pdu = new smpp.PDU('data_sm', fields);
	} else {
		pdu = new smpp.PDU('deliver_sm', fields);
	}
	const m = splitUdh(opts.sm, opts.esm_class);
	if (opts.redeliver) return deliverLosing(s, pdu, m, opts, cb);
	let seqOut = null;
	const seq = send(s, pdu, (resp) => {
		const status = resp ? resp.command_status : null;
		if (status !== 0 && cfg.redeliver_ms > 0 && attempt < cfg.redeliver_max) {
			emit({ ev: 'redeliver', kind: opts.kind, previous_sid: s.sid, previous_seq: seqOut,
				status, attempt: attempt + 1, in_ms: cfg.redeliver_ms });
			setTimeout(() => {
				const o = Object.assign({}, opts, { onSent: null });
				if (!pickRx(o.route)) o.route = null;
				if (!deliver(o, null, attempt + 1)) {
					stored.push(o);
					emit({ ev: 'stored', kind: o.kind, message_id: o.meta && o.meta.message_id });
				}
			}, cfg.redeliver_ms);
		}
		if (cb) { const f = cb; cb = null; f(status, s.sid, seqOut); }
	});
	seqOut = seq;
	if (seq === null) {
		if (cb) cb(null, s.sid, null, 'send failed');
		return false;
	}
	stats.delivers++;
	if (opts.onSent) opts.onSent(s.sid, seq);
	emitDeliver(opts, m, s.sid, seq, attempt, null);
	return { sid: s.sid, seq };
}

/* The deliver_sm event (extra: more fields, for the redelivery mode). */
function emitDeliver(opts, m, sid, seq, attempt, extra) {
	emit(Object.assign({ ev: 'deliver_sm', kind: opts.kind, sid, seq, attempt,
		command: opts.command === 'data_sm' ? 'data_sm' : 'deliver_sm',
		source: opts.source, dest: opts.dest, dcs: opts.dcs, esm_class: opts.esm_class,
		udh: hex(m.udh), concat: m.concat, payload_hex: hex(m.payload),
		text: decodeText(opts.dcs, m.payload) }, opts.meta || {},
	opts.tlvs && opts.tlvs.ussd_service_op !== undefined ? { ussd_service_op: opts.tlvs.ussd_service_op } : {},
	opts.tlvs && opts.tlvs.its_session_info ? { its_session_info: hex(opts.tlvs.its_session_info) } : {},
	opts.tlvs && opts.tlvs.user_message_reference !== undefined
		? { user_message_reference: opts.tlvs.user_message_reference } : {},
	extra || {}));
}

/* ------------------------------------------------------------------------ */
/* Redelivery mode ("redeliver": true on POST /mo): the SMSC believes its    */
/* deliver_sm was not acknowledged.  The deliver_sm goes out; when the       */
/* ESME's deliver_sm_resp arrives it is treated as lost on the way: the      */
/* link is destroyed at once, without answering or reading anything more   */
/* on it.  When the ESME has reconnected and bound again (a bind accepted    */
/* after the loss), the very same bytes are sent again with a new sequence   */
/* number; that delivery is answered normally and its response is the one   */
/* the request reports.  A deliver_sm whose link closed before any answer   */
/* is redelivered the same way.                                              */
/* ------------------------------------------------------------------------ */

const redeliveries = [];   /* {template, opts, m, cb, lost, attempt} waiting for a new bind */

/* Write the PDU template (a deliver_sm's bytes) with the session's next
 * sequence number; onResp(pdu|null) as for send(), but never called when
 * nothing could be written. -> {seq, buf}, or null when nothing was */
function sendRaw(s, template, onResp) {
	if (s.closed || s.deaf || !s.socket.writable) return null;
	const sess = s.session;   /* node-smpp 0.5.1 numbers requests with session.sequence */
	if (sess.sequence >= 0x7fffffff) sess.sequence = 0;
	const seq = ++sess.sequence;
	const buf = Buffer.from(template);
	buf.writeUInt32BE(seq, 12);
	if (onResp) s.waiting.set(seq, onResp);
	s.socket.write(buf);
	return { seq, buf };
}

/* Header and body without the sequence number: equal for both sends. */
function pduSansSeq(buf) {
	return hex(Buffer.concat([buf.slice(0, 12), buf.slice(16)]));
}

function deliverLosing(s, pdu, m, opts, cb) {
	const template = pdu.toBuffer();
	let sent = null;
	sent = sendRaw(s, template, (resp) => {
		/* resp: the answer loseResponse() dropped, or null: the link closed first */
		s.losing.delete(sent.seq);
		const lost = { sid: s.sid, seq: sent.seq, status: resp ? resp.command_status : null };
		if (opts.onLost) opts.onLost(lost);
		emit({ ev: 'redeliver', kind: opts.kind, reason: resp ? 'resp_lost' : 'closed',
			previous_sid: s.sid, previous_seq: sent.seq, status: lost.status, attempt: 2, on: 'bind' });
		redeliveries.push({ template, opts, m, cb, lost, attempt: 2 });
	});
	if (sent === null) {
		if (cb) cb(null, s.sid, null, 'send failed');
		return false;
	}
	s.losing.add(sent.seq);
	stats.delivers++;
	if (opts.onSent) opts.onSent(s.sid, sent.seq);
	emitDeliver(opts, m, s.sid, sent.seq, 1, { redeliver: true, pdu_hex: hex(sent.buf) });
	return { sid: s.sid, seq: sent.seq };
}

/* The ESME's answer to a deliver_sm sent in redelivery mode: "lost". */
function loseResponse(s, pdu) {
	stats.deliver_resps_lost++;
	emit({ ev: 'deliver_sm_resp_lost', sid: s.sid, seq: pdu.sequence_number, status: pdu.command_status,
		message_id: pdu.message_id !== undefined ? pdu.message_id : null });
	s.deaf = true;
	s.session.pause();   /* node-smpp reads no further PDU from the socket */
	const cb = s.waiting.get(pdu.sequence_number);
	s.waiting.delete(pdu.sequence_number);
	destroySession(s, 'resp-lost');
	if (cb) cb(pdu);
}

/* A receiver or transceiver s has just bound: send what awaits redelivery. */
function flushRedeliveries(s) {
	if (!redeliveries.length || !canRx(s)) return;
	const list = redeliveries.splice(0, redeliveries.length)
		.sort((a, b) => a.lost.sid - b.lost.sid || a.lost.seq - b.lost.seq);
	for (const r of list) {
		let sent = null;
		sent = sendRaw(s, r.template, (resp) => {
			if (!resp) {   /* closed again before an answer: at the next bind */
				emit({ ev: 'redeliver', kind: r.opts.kind, reason: 'closed', previous_sid: s.sid,
					previous_seq: sent ? sent.seq : null, status: null, attempt: r.attempt + 1, on: 'bind' });
				redeliveries.push(Object.assign({}, r, { attempt: r.attempt + 1 }));
				return;
			}
			if (r.cb) { const f = r.cb; r.cb = null; f(resp.command_status, s.sid, sent.seq, null, { lost: r.lost }); }
		});
		if (sent === null) { redeliveries.push(r); continue; }   /* at the next bind */
		stats.delivers++;
		stats.redelivered++;
		emitDeliver(r.opts, r.m, s.sid, sent.seq, r.attempt, { redelivery_of: { sid: r.lost.sid, seq: r.lost.seq },
			pdu_hex: hex(sent.buf), same_bytes: pduSansSeq(sent.buf) === pduSansSeq(r.template) });
	}
}

/* MO: build the deliver_sm(s) for a /mo request. */
function buildMo(req) {
	if (typeof req.from !== 'string' || !req.from) throw new Error('"from" is required');
	const to = req.to !== undefined ? String(req.to) : '10658000';
	const text = req.text !== undefined ? String(req.text) : '';
	let dcs = req.dcs !== undefined ? Number(req.dcs) : (gsmEncodable(text) ? 0 : 8);
	const alpha = alphabetOf(dcs);
	const tlvs = {};
	if (req.ussd_service_op !== undefined && req.ussd_service_op !== null) tlvs.ussd_service_op = Number(req.ussd_service_op);
	if (req.its_session_info) tlvs.its_session_info = bufFromHex(req.its_session_info, 'its_session_info');
	if (req.user_message_reference !== undefined && req.user_message_reference !== null) {
		const umr = Number(req.user_message_reference);
		if (!Number.isInteger(umr) || umr < 0 || umr > 0xffff) {
			throw new Error('user_message_reference: an integer 0..65535');
		}
		tlvs.user_message_reference = umr;
	}
	const baseEsm = req.esm_class !== undefined ? Number(req.esm_class) : 0;

	if (req.payload_hex !== undefined) {   /* raw bytes, for malformed-text tests */
		const sm = bufFromHex(req.payload_hex, 'payload_hex');
		const esm = req.udh_hex ? (baseEsm | 0x40) : baseEsm;
		const full = req.udh_hex ? Buffer.concat([bufFromHex(req.udh_hex, 'udh_hex'), sm]) : sm;
		return [{ source: req.from, dest: to, dcs, esm_class: esm, sm: full, tlvs, kind: 'mo', meta: { part: 1, parts: 1 } }];
	}

	const chars = codePoints(text);
	/* size of a run of characters in this alphabet, in short_message octets */
	const unitLen = (ch) => alpha === 'gsm' ? (gsmEnc.get(ch) || [0]).length : alpha === 'ucs2' ? ch.length * 2 : Buffer.byteLength(ch, alpha === 'binary' ? 'utf8' : 'latin1');
	if (alpha === 'gsm' && !gsmEncodable(text)) throw new Error('text is not GSM-encodable; use dcs 8');
	const total = chars.reduce((a, c) => a + unitLen(c), 0);
	const single = alpha === 'gsm' ? 160 : 140;
	const ref16 = !!req.ref16;
	const udhLen = ref16 ? 7 : 6;
	const perPart = (alpha === 'gsm' ? 160 : 140) - (alpha === 'gsm' ? udhLen + 1 : udhLen);  /* 153/152 septets, 134/133 octets */

	let nParts = req.parts !== undefined ? Number(req.parts) : (total <= single ? 1 : 0);
	let chunks;
	if (nParts === 1) {
		if (total > 254) throw new Error('text too long for one short_message');
		chunks = [chars];
	} else if (nParts > 1) {
		if (nParts > 255) throw new Error('parts must be 1..255');
		if (chars.length < nParts) throw new Error(`cannot split ${chars.length} characters into ${nParts} parts`);
		/* nearly equal character counts */
		chunks = [];
		let at = 0;
		for (let i = 0; i < nParts; i++) {
			const n = Math.floor((chars.length - at) / (nParts - i));
			chunks.push(chars.slice(at, at + n));
			at += n;
		}
	} else {
		/* standard split: fill each part, never inside an escape or surrogate pair */
		const limit = alpha === 'ucs2' ? perPart - (perPart % 2) : perPart;
		chunks = [];
		let cur = [], len = 0;
		for (const c of chars) {
			const l = unitLen(c);
			if (len + l > limit) { chunks.push(cur); cur = []; len = 0; }
			cur.push(c); len += l;
		}
		if (cur.length) chunks.push(cur);
		nParts = chunks.length;
	}

	const ref = req.ref !== undefined ? Number(req.ref) : (ref16 ? (Math.random() * 65536) | 0 : (Math.random() * 256) | 0);
	const only = Array.isArray(req.only_parts) ? new Set(req.only_parts.map(Number)) : null;
	const out = [];
	for (let i = 0; i < chunks.length; i++) {
		if (only && !only.has(i + 1)) continue;
		let body = encodeText(dcs, chunks[i]);
		let esm = baseEsm;
		if (chunks.length > 1) {
			const udh = ref16
				? Buffer.from([6, 0x08, 4, (ref >> 8) & 0xff, ref & 0xff, chunks.length, i + 1])
				: Buffer.from([5, 0x00, 3, ref & 0xff, chunks.length, i + 1]);
			body = Buffer.concat([udh, body]);
			esm |= 0x40;
		}
		if (body.length > 254) throw new Error(`part ${i + 1} is ${body.length} octets; more parts needed`);
		out.push({ source: req.from, dest: to, dcs, esm_class: esm, sm: body, tlvs, kind: 'mo',
			meta: { part: i + 1, parts: chunks.length } });
	}
	return out;
}

const STATES = { ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 };

function yymmddhhmm(d) {
	const p = (n) => String(n).padStart(2, '0');
	return p(d.getFullYear() % 100) + p(d.getMonth() + 1) + p(d.getDate()) + p(d.getHours()) + p(d.getMinutes());
}

/* Build a receipt deliver_sm for message id req.message_id. */
function buildReceipt(req) {
	const id = String(req.message_id || '');
	if (!id) throw new Error('"message_id" is required');
	const rec = submitted.get(id) || {};
	const stat = String(req.stat || cfg.receipt_stat);
	const err = String(req.err !== undefined ? req.err : cfg.receipt_err);
	const format = String(req.format || cfg.receipt_format);
	if (!['text', 'tlv', 'both'].includes(format)) throw new Error('format: text|tlv|both');
	const textId = req.id_text !== undefined ? String(req.id_text)
		: receiptIdSpelling(id, req.id_format || cfg.receipt_id_format);
	const tlvId = req.id_tlv !== undefined ? String(req.id_tlv)
		: receiptIdSpelling(id, req.tlv_id_format || cfg.receipt_tlv_id_format);
	const submitDate = rec.at || new Date();
	const dlvrd = stat === 'DELIVRD' ? '001' : '000';
	const orig = (rec.text || '').slice(0, 20);
	const text = `id:${textId} sub:001 dlvrd:${dlvrd} submit date:${yymmddhhmm(submitDate)} ` +
		`done date:${yymmddhhmm(new Date())} stat:${stat} err:${err} text:${orig}`;
	const tlvs = {};
	if (format !== 'text') {
		tlvs.receipted_message_id = tlvId;
		tlvs.message_state = STATES[stat] !== undefined ? STATES[stat] : 7;
	}
	/* data_coding 0: the text in GSM 03.38, characters it lacks as '?' */
	const sm = format === 'tlv' ? Buffer.alloc(0)
		: gsmEncode(codePoints(text).map((c) => (gsmEnc.has(c) && c !== '\u001b' ? c : '?')));
	return {
		source: req.from || rec.dest || '8613800138000',
		dest: req.to || rec.source || '10658000',
		dcs: 0, esm_class: 0x04, sm, tlvs, kind: 'receipt',
		route: rec.system_id ? { system_id: rec.system_id } : null,
		meta: { message_id: id, stat, err, format, receipt_text_id: format === 'tlv' ? null : textId,
			receipted_message_id: format === 'text' ? null : tlvId },
	};
}

function queueReceipt(req, cb) {
	let opts;
	try { opts = buildReceipt(req); } catch (e) { if (cb) cb(null, null, null, e.message); return; }
	stats.receipts++;
	sendOrStore(opts, cb);
}

function sendOrStore(opts, cb) {
	if (!pickRx(opts.route) && !pickRx()) {
		stored.push(opts);
		emit({ ev: 'stored', kind: opts.kind, message_id: opts.meta && opts.meta.message_id });
		if (cb) cb(null, null, null, 'stored: no receiver bound');
		return;
	}
	if (!pickRx(opts.route)) opts = Object.assign({}, opts, { route: null });
	deliver(opts, cb);
}

function flushStored() {
	while (stored.length && pickRx()) {
		const o = stored.shift();
		deliver(pickRx(o.route) ? o : Object.assign({}, o, { route: null }), null);
	}
}

/* ------------------------------------------------------------------------ */
/* USSD dialogues (POST /ussd): the phone's side of one request and the      */
/* screen that answers it.  A waiter for the next USSD screen to the number  */
/* is registered before the deliver_sm goes out (the screen may be read      */
/* before the deliver_sm_resp); each accepted submit_sm with                 */
/* ussd_service_op to that number settles the oldest waiter.  With no       */
/* waiter a screen is only the submit event it always was.                   */
/* ------------------------------------------------------------------------ */

const ussdWaiters = new Map();   /* number -> [waiter], oldest first */

function ussdKey(addr) {
	return String(addr === undefined || addr === null ? '' : addr).replace(/^\+/, '');
}

/* A waiter for the next screen to `number`; settled with null after ms. */
function ussdWait(number, ms) {
	const w = { key: ussdKey(number), settled: false, resolve: null, timer: null, sentAt: Date.now() };
	w.promise = new Promise((resolve) => { w.resolve = resolve; });
	w.timer = setTimeout(() => ussdSettle(w, null), ms);
	if (!ussdWaiters.has(w.key)) ussdWaiters.set(w.key, []);
	ussdWaiters.get(w.key).push(w);
	return w;
}

function ussdSettle(w, screen) {
	if (w.settled) return;
	w.settled = true;
	clearTimeout(w.timer);
	const list = ussdWaiters.get(w.key);
	const i = list ? list.indexOf(w) : -1;
	if (i >= 0) list.splice(i, 1);
	if (list && list.length === 0) ussdWaiters.delete(w.key);
	w.resolve(screen);
}

/* its_session_info's end-of-session bit: bit 0 of its second octet. */
function itsEndBit(itsHex) {
	return typeof itsHex === 'string' && itsHex.length >= 4 && (parseInt(itsHex.slice(2, 4), 16) & 1) === 1;
}

/* onSubmit logged ev for pdu: a USSD screen someone may be waiting for. */
function ussdScreen(ev, pdu) {
	if (ev.status !== 0 || ev.ussd_service_op === null) return;
	const list = ussdWaiters.get(ussdKey(ev.dest));
	if (!list || list.length === 0) return;
	const w = list[0];
	const umr = pdu.user_message_reference !== undefined ? pdu.user_message_reference : null;
	ussdSettle(w, {
		text: ev.text, ussd_service_op: ev.ussd_service_op, its_session_info: ev.its_session_info,
		user_message_reference: umr,
		end: ev.ussd_service_op === 17 || itsEndBit(ev.its_session_info),
		source: ev.source, dest: ev.dest, message_id: ev.message_id, sid: ev.sid, seq: ev.seq,
		ms: Date.now() - w.sentAt,
	});
}

/* POST /ussd: send one USSD request as a deliver_sm, answer with the
 * deliver_sm_resp statuses and the screen that followed (null when none
 * came within wait_ms, or when the deliver_sm was not answered with 0:
 * the gateway did not take the request). -> {code, body} */
async function ussdRequest(body) {
	if (typeof body.from !== 'string' || !body.from) throw new Error('"from" is required');
	const op = body.op !== undefined ? Number(body.op) : 1;
	if (!Number.isInteger(op) || op < 0 || op > 255) throw new Error('"op" must be 0..255');
	let umr = null;
	if (body.umr !== undefined && body.umr !== null) {
		umr = Number(body.umr);
		if (!Number.isInteger(umr) || umr < 0 || umr > 65535) throw new Error('"umr" must be 0..65535');
	}
	const mo = { from: body.from, text: body.text !== undefined ? String(body.text) : '', ussd_service_op: op };
	if (body.to !== undefined) mo.to = body.to;
	if (body.dcs !== undefined) mo.dcs = body.dcs;
	if (body.its !== undefined && body.its !== null && body.its !== '') mo.its_session_info = String(body.its);
	if (umr !== null) mo.tlvs = { user_message_reference: umr };
	const list = buildMo(mo);
	if (list.length !== 1) throw new Error('a USSD request is one deliver_sm: the text is too long');
	if (umr !== null && list[0].tlvs.user_message_reference === undefined) list[0].tlvs.user_message_reference = umr;
	if (body.sid) list[0].route = { sid: Number(body.sid) };
	if (body.command === 'data_sm') list[0].command = 'data_sm';
	if (!pickRx(list[0].route)) return { code: 409, body: { ok: false, error: 'no receiver or transceiver bound' } };
	const waitMs = body.wait_ms !== undefined ? Number(body.wait_ms) : 5000;
	if (!Number.isFinite(waitMs) || waitMs < 0) throw new Error('"wait_ms" must be a number of ms');
	stats.mo++;
	const w = ussdWait(body.from, waitMs);   /* before the deliver_sm: no race */
	const r = await sendDeliveries(list, waitMs);
	const statuses = r.results.map((x) => x.status);
	if (statuses.some((st) => st !== 0)) ussdSettle(w, null);
	const screen = await w.promise;
	return { code: 200, body: { ok: statuses.every((st) => st === 0) && screen !== null,
		timeout: r.timeout, statuses, sid: r.results[0].sid, seq: r.results[0].seq, screen } };
}

/* ------------------------------------------------------------------------ */
/* HTTP control API                                                          */
/* ------------------------------------------------------------------------ */

function reply(res, code, obj) {
	const body = JSON.stringify(obj) + '\n';
	res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
	res.end(body);
}

function readJson(req) {
	return new Promise((resolve, reject) => {
		const parts = [];
		req.on('data', (c) => parts.push(c));
		req.on('end', () => {
			const s = Buffer.concat(parts).toString('utf8').trim();
			if (!s) return resolve({});
			try {
				const v = JSON.parse(s);
				if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object');
				resolve(v);
			} catch (e) { reject(new Error(`bad JSON: ${e.message}`)); }
		});
		req.on('error', reject);
	});
}

function sessionInfo(s) {
	return { sid: s.sid, bound: s.bound, type: s.bindType, system_id: s.systemId,
		unanswered: s.pendingResps.length, peer: `${s.socket.remoteAddress}:${s.socket.remotePort}` };
}

function sendDeliveries(list, waitMs) {
	return new Promise((resolve) => {
		const results = list.map((o) => ({ part: o.meta.part, sid: null, seq: null, status: null }));
		let left = list.length;
		let done = false;
		const finish = (timeout) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			resolve({ results, timeout });
		};
		const timer = setTimeout(() => finish(true), waitMs);
		list.forEach((o, i) => {
			o.onSent = (sid, seq) => { results[i].sid = sid; results[i].seq = seq; };
			o.onLost = (lost) => { results[i].lost = lost; };
			deliver(o, (status, sid, seq, error, extra) => {
				Object.assign(results[i], { sid, seq, status });
				if (error) results[i].error = error;
				if (extra && extra.lost) results[i].lost = extra.lost;
				if (--left === 0) finish(false);
			});
		});
		if (list.length === 0) finish(false);
	});
}

async function handleControl(req, res) {
	const url = new URL(req.url, 'http://127.0.0.1');
	const route = `${req.method} ${url.pathname.replace(/\/+$/, '') || '/'}`;
	switch (route) {
	case 'GET /events': {
		let list = events;
		const evName = url.searchParams.get('ev');
		const since = Number(url.searchParams.get('since') || 0);
		if (since) list = list.filter((e) => e.t >= since);
		if (evName) list = list.filter((e) => e.ev === evName);
		return reply(res, 200, list);
	}
	case 'GET /stats':
		return reply(res, 200, Object.assign({}, stats, {
			open_sessions: sessions.size,
			bound_sessions: Array.from(sessions).filter((s) => s.bound).length,
			unanswered: Array.from(sessions).reduce((a, s) => a + s.pendingResps.length, 0),
			stored_receipts: stored.length,
			awaiting_redelivery: redeliveries.length,
			next_id: nextId,
		}));
	case 'GET /sessions':
		return reply(res, 200, Array.from(sessions).map(sessionInfo));
	case 'GET /config':
		return reply(res, 200, cfg);
	case 'POST /config': {
		const body = await readJson(req);
		const changed = {};
		/* hold_responses last, so other changes apply before a release */
		const keys = Object.keys(body).sort((a, b) => (optName(a) === 'hold_responses') - (optName(b) === 'hold_responses'));
		for (const k of keys) {
			const name = optName(k);
			if (['port', 'control_port', 'ready_file', 'events'].includes(name)) throw new Error(`${k} cannot be changed at run time`);
			changed[name] = applyOption(name, body[k]);
		}
		emit({ ev: 'config', changed });
		return reply(res, 200, { ok: true, config: cfg });
	}
	case 'POST /reset': {
		events = [];
		for (const k of Object.keys(stats)) stats[k] = 0;
		if (cfg.events) fs.writeFileSync(cfg.events, '');
		return reply(res, 200, { ok: true });
	}
	case 'POST /mo': {
		const body = await readJson(req);
		const list = buildMo(body);
		if (body.sid) list.forEach((o) => { o.route = { sid: Number(body.sid) }; });
		if (body.command === 'data_sm') list.forEach((o) => { o.command = 'data_sm'; });
		else if (body.command !== undefined && body.command !== 'deliver_sm') throw new Error('"command" is deliver_sm or data_sm');
		if (!pickRx(list[0] && list[0].route)) return reply(res, 409, { ok: false, error: 'no receiver or transceiver bound' });
		const redeliver = body.redeliver !== undefined && parseBool('redeliver', body.redeliver);
		if (redeliver) list.forEach((o) => { o.redeliver = true; });
		stats.mo++;
		const waitMs = body.wait_ms !== undefined ? Number(body.wait_ms)
			: redeliver ? Math.max(cfg.mo_resp_wait_ms, 20000) : cfg.mo_resp_wait_ms;
		const r = await sendDeliveries(list, waitMs);
		const out = { ok: !r.timeout && r.results.every((x) => x.status === 0),
			timeout: r.timeout, parts: r.results, statuses: r.results.map((x) => x.status) };
		if (redeliver) out.lost_statuses = r.results.map((x) => (x.lost ? x.lost.status : null));
		return reply(res, 200, out);
	}
	case 'POST /receipt': {
		const body = await readJson(req);
		let opts;
		opts = buildReceipt(body);
		stats.receipts++;
		if (!pickRx(opts.route) && !pickRx()) {
			if (body.store) { sendOrStore(opts); return reply(res, 202, { ok: true, stored: true }); }
			return reply(res, 409, { ok: false, error: 'no receiver or transceiver bound' });
		}
		if (!pickRx(opts.route)) opts.route = null;
		opts.meta.part = 1;
		const waitMs = body.wait_ms !== undefined ? Number(body.wait_ms) : cfg.mo_resp_wait_ms;
		const r = await sendDeliveries([opts], waitMs);
		return reply(res, 200, { ok: !r.timeout && r.results[0].status === 0, timeout: r.timeout,
			sid: r.results[0].sid, seq: r.results[0].seq, status: r.results[0].status,
			text: gsmDecode(opts.sm) });
	}
	case 'POST /raw': {
		const body = await readJson(req);
		const bytes = bufFromHex(body.hex || '', 'hex');
		const s = pickAny(body.sid ? Number(body.sid) : null);
		if (!s) return reply(res, 409, { ok: false, error: 'no open session' });
		s.socket.write(bytes);
		stats.raw_sent++;
		emit({ ev: 'raw_sent', sid: s.sid, hex: hex(bytes), length: bytes.length });
		return reply(res, 200, { ok: true, sid: s.sid, length: bytes.length });
	}
	case 'POST /unbind': {
		const body = await readJson(req);
		const s = pickAny(body.sid ? Number(body.sid) : null);
		if (!s) return reply(res, 409, { ok: false, error: 'no open session' });
		/* SMSC-initiated unbind: close the link on unbind_resp (or after 2 s) */
		const seq = send(s, new smpp.PDU('unbind', {}), () => { if (!s.closed) s.session.close(); });
		s.bound = false;
		setTimeout(() => { if (!s.closed) s.session.destroy(); }, 2000).unref();
		emit({ ev: 'unbind_sent', sid: s.sid, seq });
		return reply(res, 200, { ok: true, sid: s.sid, seq });
	}
	case 'POST /drop': {
		const body = await readJson(req);
		const list = Array.from(sessions).filter((s) => !body.sid || s.sid === Number(body.sid));
		for (const s of list) destroySession(s, 'control');
		return reply(res, 200, { ok: true, dropped: list.map((s) => s.sid) });
	}
	case 'POST /ussd': {
		const r = await ussdRequest(await readJson(req));
		return reply(res, r.code, r.body);
	}
	default:
		return reply(res, 404, { ok: false, error: `no route ${route}` });
	}
}

/* ------------------------------------------------------------------------ */
/* Main                                                                      */
/* ------------------------------------------------------------------------ */

function writeReady(info) {
	if (!cfg.ready_file) return;
	const tmp = `${cfg.ready_file}.${process.pid}.tmp`;
	fs.writeFileSync(tmp, (cfg.control_port === null ? String(info.port) : JSON.stringify(info)) + '\n');
	fs.renameSync(tmp, cfg.ready_file);
}

function main() {
	try {
		parseArgs(process.argv.slice(2));
	} catch (e) {
		logErr(e.message);
		process.exit(2);
	}
	nextId = cfg.id_start;
	counters.refuse_left = cfg.refuse_bind_count;
	if (cfg.events) fs.mkdirSync(path.dirname(path.resolve(cfg.events)), { recursive: true });

	const server = smpp.createServer(onSession);
	server.on('error', (e) => { logErr(`SMPP server: ${e.message}`); process.exit(1); });

	let control = null;
	const info = {};
	const started = () => {
		writeReady(info);
		emit({ ev: 'listening', port: info.port, control: info.control !== undefined ? info.control : null, pid: process.pid });
		process.stdout.write(`smsc-sim: SMPP on 127.0.0.1:${info.port}` +
			(control ? `, control on http://127.0.0.1:${info.control}` : '') + '\n');
	};

	server.listen(cfg.port, '127.0.0.1', () => {
		info.port = server.address().port;
		if (cfg.control_port === null) return started();
		control = http.createServer((req, res) => {
			handleControl(req, res).catch((e) => {
				if (!res.headersSent) reply(res, 400, { ok: false, error: e.message });
			});
		});
		control.on('error', (e) => { logErr(`control server: ${e.message}`); process.exit(1); });
		control.listen(cfg.control_port, '127.0.0.1', () => {
			info.control = control.address().port;
			started();
		});
	});

	let stopping = false;
	const stop = (sig) => {
		if (stopping) return;
		stopping = true;
		emit({ ev: 'exit', signal: sig });
		for (const s of sessions) s.session.destroy();
		server.close();
		if (control) control.close();
		process.exit(0);
	};
	process.on('SIGTERM', () => stop('SIGTERM'));
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGHUP', () => stop('SIGHUP'));
	process.on('uncaughtException', (e) => {
		/* never die on a client's mischief; log and carry on */
		stats.errors++;
		logErr(`uncaught: ${e.stack || e}`);
		try { emit({ ev: 'error', message: `uncaught: ${e.message}` }); } catch (_) { /* ignore */ }
	});
}

main();
