#!/usr/bin/env node
/*
 * prov-stub.js — the operator's provisioning system, as vasgw's end-to-end
 * tests need it: it takes activation-order webhooks (POST, JSON, with an
 * Idempotency-Key), answers them as a script says (ok, reject, 5xx, hang,
 * close, delay), and remembers every call and every key that succeeded.
 *
 * Like a real provisioning system it is idempotent: a key that once got
 * "ok" gets "ok" again without a second activation.  That is what lets the
 * gateway repeat an order whose outcome it does not know.
 *
 * Plain Node (http module), no npm packages.  Listens on 127.0.0.1 only.
 * See README.md for the steps and the control API.
 */
'use strict';

const fs = require('fs');
const http = require('http');

const cfg = { port: 0, ready_file: null };
const BODY_LIMIT = 1 << 20;

function usage(out) {
	out.write('usage: prov-stub.js [--port P] [--ready-file F]\n' +
		'  --port P        port on 127.0.0.1 (0, the default, picks a free one)\n' +
		'  --ready-file F  written with the port once listening\n');
}

function parseArgs(argv) {
	for (let i = 0; i < argv.length; i++) {
		let a = argv[i], v;
		if (a === '-h' || a === '--help') {
			usage(process.stdout);
			process.exit(0);
		}
		if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
		const eq = a.indexOf('=');
		if (eq >= 0) {
			v = a.slice(eq + 1);
			a = a.slice(0, eq);
		} else {
			if (i + 1 >= argv.length) throw new Error(`option ${a} needs a value`);
			v = argv[++i];
		}
		const name = a.slice(2).replace(/-/g, '_');
		if (name === 'port') {
			if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`bad port ${v}`);
			cfg.port = Number(v);
		} else if (name === 'ready_file') {
			cfg.ready_file = v;
		} else {
			throw new Error(`unknown option ${a}`);
		}
	}
}

function log(msg) {
	process.stdout.write(`prov-stub ${new Date().toISOString()} ${msg}\n`);
}

/* ------------------------------------------------------------------------ */
/* State                                                                     */
/* ------------------------------------------------------------------------ */

let script = [];              /* steps, used first, each once */
let defaultStep = { ok: true };
let calls = [];               /* every webhook call, in order */
let callsByKey = new Map();   /* key -> number of calls with it */
let activations = new Map();  /* key -> {key, msisdn, service, action} */
let pending = new Set();      /* {res, timer}: delayed or hanging answers */

function reset() {
	script = [];
	defaultStep = { ok: true };
	calls = [];
	callsByKey = new Map();
	activations = new Map();
	/* Answers still owed belong to the old state: drop them. */
	for (const p of pending) {
		if (p.timer) clearTimeout(p.timer);
		if (p.res.socket) p.res.socket.destroy();
	}
	pending = new Set();
}

function activationList() {
	return [...activations.values()].map((a) =>
		Object.assign({}, a, { calls: callsByKey.get(a.key) || 0 }));
}

/* ------------------------------------------------------------------------ */
/* Steps                                                                     */
/* ------------------------------------------------------------------------ */

const STEP_KEYS = new Set(['ok', 'status', 'reject', 'reason', 'hang', 'delay_ms',
	'close', 'match', 'raw', 'activate']);

/* Throws on a step the stub would not know how to play. */
function checkStep(s) {
	if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new Error('a step is a JSON object');
	for (const k of Object.keys(s)) if (!STEP_KEYS.has(k)) throw new Error(`unknown step field "${k}"`);
	if (s.status !== undefined && !(Number.isInteger(s.status) && s.status >= 100 && s.status <= 599)) {
		throw new Error(`bad status ${JSON.stringify(s.status)}`);
	}
	if (s.delay_ms !== undefined && !(Number.isFinite(s.delay_ms) && s.delay_ms >= 0)) {
		throw new Error(`bad delay_ms ${JSON.stringify(s.delay_ms)}`);
	}
	if (s.match !== undefined && (s.match === null || typeof s.match !== 'object' || Array.isArray(s.match))) {
		throw new Error('match is a JSON object');
	}
	if (s.raw !== undefined && typeof s.raw !== 'string') throw new Error('raw is a string');
	return s;
}

function matches(step, body) {
	if (!step.match) return true;
	return Object.entries(step.match).every(([k, v]) =>
		body !== null && typeof body === 'object' && body[k] !== undefined && String(body[k]) === String(v));
}

/* The first queued step that applies to this call (taken off the queue), or the default. */
function nextStep(body) {
	const i = script.findIndex((s) => matches(s, body));
	if (i < 0) return defaultStep;
	return script.splice(i, 1)[0];
}

function send(res, status, obj) {
	const text = typeof obj === 'string' ? obj : JSON.stringify(obj);
	res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
	res.end(text);
}

function activate(call) {
	if (activations.has(call.key)) return;
	const b = call.body && typeof call.body === 'object' ? call.body : {};
	activations.set(call.key, {
		key: call.key,
		msisdn: b.msisdn === undefined ? null : b.msisdn,
		service: b.service === undefined ? null : b.service,
		action: b.action === undefined ? null : b.action,
	});
}

/* Play one step (its delay already waited for). */
function play(step, call, req, res) {
	if (step.activate) activate(call);
	if (step.close) {
		call.answer = 'close';
		req.socket.destroy();
		return;
	}
	if (step.hang) {
		call.answer = 'hang';
		const p = { res, timer: null };
		pending.add(p);
		res.on('close', () => pending.delete(p));
		return;
	}
	const status = step.status === undefined ? 200 : step.status;
	let body;
	if (step.raw !== undefined) {
		body = step.raw;
	} else if (step.reject !== undefined) {
		body = { result: 'rejected', reason: String(step.reject) };
	} else if (status >= 500) {
		body = step.reason === undefined ? { result: 'error' } : { result: 'error', reason: String(step.reason) };
	} else if (status >= 400) {
		body = { result: 'rejected', reason: step.reason === undefined ? 'rejected' : String(step.reason) };
	} else {
		activate(call);
		body = { result: 'ok' };
	}
	call.answer = { status, body };
	send(res, status, body);
}

function webhook(req, res, raw) {
	const keyHeader = req.headers['idempotency-key'];
	const call = {
		n: calls.length + 1,
		at_ms: Date.now(),
		path: req.url,
		key: keyHeader === undefined ? null : String(keyHeader),
		content_type: req.headers['content-type'] || null,
		body: null,
		answer: null,
	};
	calls.push(call);
	let parsed = true;
	try {
		call.body = JSON.parse(raw.toString('utf8'));
	} catch (e) {
		call.body = raw.toString('utf8');
		parsed = false;
	}
	const reject = (reason) => {
		call.answer = { status: 400, body: { result: 'rejected', reason } };
		log(`#${call.n} ${call.path} key=${call.key}: 400 ${reason}`);
		send(res, 400, call.answer.body);
	};
	if (!call.key) return reject('missing Idempotency-Key');
	callsByKey.set(call.key, (callsByKey.get(call.key) || 0) + 1);
	if (!parsed) return reject('bad json');

	/* A key that succeeded once succeeds again, and activates nothing. */
	if (activations.has(call.key)) {
		call.answer = { status: 200, body: { result: 'ok' }, replay: true };
		log(`#${call.n} ${call.path} key=${call.key}: 200 ok (replay)`);
		return send(res, 200, { result: 'ok' });
	}

	const step = nextStep(call.body);
	call.step = step;
	log(`#${call.n} ${call.path} key=${call.key} body=${JSON.stringify(call.body)} step=${JSON.stringify(step)}`);
	if (step.delay_ms) {
		const rest = Object.assign({}, step);
		delete rest.delay_ms;
		const p = { res, timer: null };
		p.timer = setTimeout(() => {
			pending.delete(p);
			if (!res.socket || res.socket.destroyed) return; /* the client went */
			play(rest, call, req, res);
		}, step.delay_ms);
		pending.add(p);
		res.on('close', () => {
			if (pending.has(p) && p.timer) clearTimeout(p.timer);
			pending.delete(p);
		});
		return;
	}
	play(step, call, req, res);
}

/* ------------------------------------------------------------------------ */
/* Control API                                                               */
/* ------------------------------------------------------------------------ */

function control(req, res, raw) {
	const url = new URL(req.url, 'http://127.0.0.1');
	const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
	const json = () => {
		const text = raw.toString('utf8').trim();
		return text === '' ? null : JSON.parse(text);
	};
	switch (route) {
	case 'POST /_control/script': {
		let steps = json();
		if (!Array.isArray(steps)) steps = [steps];
		steps.forEach(checkStep);
		script.push(...steps);
		log(`script += ${JSON.stringify(steps)}`);
		return send(res, 200, { ok: true, queued: script.length });
	}
	case 'POST /_control/default':
		defaultStep = checkStep(json());
		log(`default = ${JSON.stringify(defaultStep)}`);
		return send(res, 200, { ok: true });
	case 'GET /_control/script':
		return send(res, 200, { script, default: defaultStep });
	case 'GET /_control/activations':
		return send(res, 200, activationList());
	case 'GET /_control/calls':
		return send(res, 200, calls);
	case 'GET /_control/stats':
		return send(res, 200, {
			calls: calls.length,
			activations: activations.size,
			script: script.length,
			pending: pending.size,
		});
	case 'POST /_control/reset':
		reset();
		log('reset');
		return send(res, 200, { ok: true });
	default:
		return send(res, 404, { ok: false, error: `no route ${route}` });
	}
}

function onRequest(req, res) {
	const chunks = [];
	let size = 0;
	req.on('data', (c) => {
		size += c.length;
		if (size > BODY_LIMIT) {
			send(res, 413, { result: 'rejected', reason: 'body too large' });
			req.socket.destroy();
			return;
		}
		chunks.push(c);
	});
	req.on('end', () => {
		if (size > BODY_LIMIT) return;
		const raw = Buffer.concat(chunks);
		const path = new URL(req.url, 'http://127.0.0.1').pathname;
		if (path === '/_control' || path.startsWith('/_control/')) {
			try {
				return control(req, res, raw);
			} catch (e) {
				return send(res, 400, { ok: false, error: e.message });
			}
		}
		if (req.method !== 'POST') {
			return send(res, 405, { result: 'rejected', reason: 'method not allowed' });
		}
		webhook(req, res, raw);
	});
}

/* ------------------------------------------------------------------------ */
/* Main                                                                      */
/* ------------------------------------------------------------------------ */

function writeReady(port) {
	if (!cfg.ready_file) return;
	const tmp = `${cfg.ready_file}.${process.pid}.tmp`;
	fs.writeFileSync(tmp, `${port}\n`);
	fs.renameSync(tmp, cfg.ready_file);
}

function main() {
	try {
		parseArgs(process.argv.slice(2));
	} catch (e) {
		process.stderr.write(`prov-stub: ${e.message}\n`);
		usage(process.stderr);
		process.exit(2);
	}
	const server = http.createServer(onRequest);
	/* A hanging answer must outlive Node's default request timeouts. */
	server.requestTimeout = 0;
	server.headersTimeout = 0;
	server.keepAliveTimeout = 60000;
	server.on('error', (e) => {
		process.stderr.write(`prov-stub: ${e.message}\n`);
		process.exit(1);
	});
	server.listen(cfg.port, '127.0.0.1', () => {
		const port = server.address().port;
		writeReady(port);
		log(`listening on http://127.0.0.1:${port} (pid ${process.pid})`);
	});
	const stop = (sig) => {
		log(`exit (${sig})`);
		process.exit(0);
	};
	process.on('SIGTERM', () => stop('SIGTERM'));
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGHUP', () => stop('SIGHUP'));
}

main();
