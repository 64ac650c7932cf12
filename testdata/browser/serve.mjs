// A tiny local HTTP server for the browser fixtures: it serves the app and stands in for the
// SDK's ingestion API. One server for both fixture directories; --sdk says which API it plays.
//
//   node serve.mjs --root DIR --out DIR [--sdk sentry|posthog] [--host 127.0.0.1] [--port 8765]
//
// GET  /app/…, /dist/…, /dist-sentry/…   static files from --root (nothing else is served)
//
// --sdk sentry (the default; testdata/browser, see README.md):
// POST /report                         the plain build's reporter: JSON {browser, scenario, how,
//                                      name, message, stack, userAgent}; writes
//                                      OUT/traces/<browser>/<scenario>.txt (the trace as a user
//                                      would paste it) and OUT/reports/<browser>/<scenario>.json
// POST /api/<project>/envelope/        the Sentry SDK's envelopes; the raw envelope goes to
//                                      OUT/envelopes/<n>.envelope and each item of type "event"
//                                      to OUT/events/<tags.browser>/<tags.scenario>.json, pretty-printed
// Any other request                    404
//
// --sdk posthog (testdata/browser-posthog, see its README.md):
// POST anything                        a posthog-js request: the body is decoded (gzip when the
//                                      `compression` query parameter is `gzip-js` or the body
//                                      starts with the gzip magic; base64 when it is form data
//                                      `data=…`; else plain JSON) and written to
//                                      OUT/requests/<n>.json as {method, url, contentType,
//                                      contentEncoding, compression, body} (body = the decoded
//                                      JSON). Every event in it (the body is one event, an array
//                                      of events or {batch: [...]}) named `$exception` is written,
//                                      pretty-printed and otherwise exactly as sent, to
//                                      OUT/exceptions/<scenario>/<n>.json, the scenario being the
//                                      `s` query parameter of the event's properties.$current_url.
//                                      Answers 200 `{"status":1}`.
// Any other request                    200 `{}` (JSON), so that nothing the SDK asks for hangs or
//                                      retries.
//
// Prints "listening on http://HOST:PORT" on stdout once it accepts connections, and a line per
// request on stderr. Files are written to a temporary name and renamed, so a reader that polls
// for them never sees half a file.
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) {
    console.error(`serve.mjs: --${name} is required`);
    process.exit(2);
  }
  return fallback;
}

const root = resolve(arg('root'));
const out = resolve(arg('out'));
const sdk = arg('sdk', 'sentry');
const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '8765'));

const SERVED = ['app', 'dist', 'dist-sentry'];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
};
const NAME = /^[a-z0-9-]{1,40}$/;

function writeAtomic(path, data) {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function readBody(req) {
  return new Promise((ok, fail) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

// --- Sentry: the plain build's reports and @sentry/browser's envelopes ------------------------------

let envelopes = 0;

// The trace as a user would paste it: V8 (Chromium) starts error.stack with the
// "Name: message" line already; SpiderMonkey (Firefox) does not, so prepend it.
function traceText(r) {
  let text = r.stack;
  if (r.browser === 'firefox') text = `${r.name}: ${r.message}\n${text}`;
  return text.endsWith('\n') ? text : `${text}\n`;
}

function onReport(body) {
  const r = JSON.parse(body.toString('utf8'));
  if (!NAME.test(r.browser ?? '') || !NAME.test(r.scenario ?? '')) throw new Error('bad browser or scenario');
  if (typeof r.stack !== 'string') throw new Error(`no stack in report: ${body}`);
  writeAtomic(join(out, 'reports', r.browser, `${r.scenario}.json`), `${JSON.stringify(r, null, 2)}\n`);
  writeAtomic(join(out, 'traces', r.browser, `${r.scenario}.txt`), traceText(r));
  return `${r.browser}/${r.scenario} (${r.how})`;
}

// An envelope is a header line, then items: an item header line and a payload,
// of exactly `length` bytes when the item header has one, else up to the next "\n".
function parseEnvelope(buf) {
  let pos = 0;
  const line = () => {
    let end = buf.indexOf(0x0a, pos);
    if (end < 0) end = buf.length;
    const s = buf.subarray(pos, end);
    pos = end + 1;
    return s;
  };
  const header = JSON.parse(line().toString('utf8'));
  const items = [];
  while (pos < buf.length) {
    const raw = line();
    if (raw.length === 0) continue;
    const itemHeader = JSON.parse(raw.toString('utf8'));
    let payload;
    if (typeof itemHeader.length === 'number') {
      payload = buf.subarray(pos, pos + itemHeader.length);
      pos += itemHeader.length + 1;
    } else {
      payload = line();
    }
    items.push({ header: itemHeader, payload });
  }
  return { header, items };
}

function onEnvelope(body) {
  envelopes += 1;
  writeAtomic(join(out, 'envelopes', `${String(envelopes).padStart(3, '0')}.envelope`), body);
  const { items } = parseEnvelope(body);
  const seen = [];
  for (const item of items) {
    seen.push(item.header.type);
    if (item.header.type !== 'event') continue;
    const event = JSON.parse(item.payload.toString('utf8'));
    const { browser, scenario } = event.tags ?? {};
    if (!NAME.test(browser ?? '') || !NAME.test(scenario ?? '')) throw new Error('event without browser/scenario tags');
    writeAtomic(join(out, 'events', browser, `${scenario}.json`), `${JSON.stringify(event, null, 2)}\n`);
    seen[seen.length - 1] += ` ${browser}/${scenario}`;
  }
  return seen.join(', ');
}

// --- PostHog: posthog-js's capture requests ------------------------------------------------------

let requests = 0;
const exceptions = {};

// decode returns {compression, body}: how the request was encoded and the JSON it carries.
function decode(url, contentType, raw) {
  const param = url.searchParams.get('compression');
  if (param === 'gzip-js' || param === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b)) {
    return { compression: param ?? 'gzip (no compression parameter)', body: JSON.parse(gunzipSync(raw).toString('utf8')) };
  }
  if ((contentType ?? '').startsWith('application/x-www-form-urlencoded')) {
    const data = new URLSearchParams(raw.toString('utf8')).get('data');
    if (data === null) throw new Error('form body without data=');
    return { compression: param ?? 'base64', body: JSON.parse(Buffer.from(data, 'base64').toString('utf8')) };
  }
  return { compression: param ?? 'none', body: JSON.parse(raw.toString('utf8')) };
}

function eventsOf(body) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body.batch)) return body.batch;
  if (body && typeof body.event === 'string') return [body];
  return [];
}

function onCapture(req, url, raw) {
  requests += 1;
  const n = String(requests).padStart(3, '0');
  const { compression, body } = decode(url, req.headers['content-type'], raw);
  writeAtomic(
    join(out, 'requests', `${n}.json`),
    `${JSON.stringify(
      {
        method: req.method,
        url: `${url.pathname}${url.search}`,
        contentType: req.headers['content-type'],
        contentEncoding: req.headers['content-encoding'],
        compression,
        body,
      },
      null,
      2,
    )}\n`,
  );
  const seen = [];
  for (const event of eventsOf(body)) {
    let what = event.event;
    if (event.event === '$exception') {
      let scenario = '';
      try {
        scenario = new URL(event.properties?.$current_url ?? '').searchParams.get('s') ?? '';
      } catch {
        // reported below
      }
      if (!NAME.test(scenario)) throw new Error('$exception event without a scenario in properties.$current_url');
      exceptions[scenario] = (exceptions[scenario] ?? 0) + 1;
      writeAtomic(join(out, 'exceptions', scenario, `${exceptions[scenario]}.json`), `${JSON.stringify(event, null, 2)}\n`);
      what += ` ${scenario}`;
    }
    seen.push(what);
  }
  return `${compression}: ${seen.join(', ') || 'no events'}`;
}

// --- the API each SDK talks to ---------------------------------------------------------------------

// SDKS[sdk].post(req, url, res) answers a POST it knows and returns true; `other` is the answer to
// every request that is neither a served file nor such a POST.
const SDKS = {
  sentry: {
    async post(req, url, res) {
      if (url.pathname === '/report') {
        console.error(`POST /report: ${onReport(await readBody(req))}`);
        res.writeHead(204).end();
      } else if (/^\/api\/[0-9]+\/envelope\/$/.test(url.pathname)) {
        console.error(`POST ${url.pathname}: ${onEnvelope(await readBody(req))}`);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      } else {
        return false;
      }
      return true;
    },
    other: { status: 404, type: 'text/plain', body: 'not found\n' },
  },
  posthog: {
    async post(req, url, res) {
      console.error(`POST ${url.pathname}${url.search}: 200 ${onCapture(req, url, await readBody(req))}`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":1}');
      return true;
    },
    other: { status: 200, type: 'application/json', body: '{}' },
  },
};
const api = SDKS[sdk];
if (!api) {
  console.error(`serve.mjs: --sdk is sentry or posthog, not ${JSON.stringify(sdk)}`);
  process.exit(2);
}

function serveFile(url, res) {
  const rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
  const top = rel.split(/[/\\]/)[0];
  const path = join(root, rel);
  if (!SERVED.includes(top) || !path.startsWith(root + sep)) return false;
  let st;
  try {
    st = statSync(path);
  } catch {
    return false;
  }
  if (!st.isFile()) return false;
  res.writeHead(200, {
    'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
    'Cache-Control': 'no-store',
  });
  res.end(readFileSync(path));
  return true;
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, `http://${host}:${port}`);
  try {
    if (req.method === 'GET' && serveFile(url, res)) {
      console.error(`GET ${url.pathname}${url.search}: 200`);
    } else if (!(req.method === 'POST' && (await api.post(req, url, res)))) {
      await readBody(req);
      console.error(`${req.method} ${url.pathname}${url.search}: ${api.other.status} ${api.other.body.trim()}`);
      res.writeHead(api.other.status, { 'Content-Type': api.other.type }).end(api.other.body);
    }
  } catch (e) {
    console.error(`${req.method} ${url.pathname}${url.search}: 400 ${e.message}`);
    if (!res.headersSent) res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end(`${e.message}\n`);
  }
});

server.on('error', (e) => {
  console.error(`serve.mjs: cannot listen on ${host}:${port}: ${e.code ?? e.message}`);
  process.exit(1);
});
server.listen(port, host, () => console.log(`listening on http://${host}:${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
