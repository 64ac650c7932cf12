// A tiny local HTTP server for the PostHog browser fixtures (see README.md): it serves the app
// and stands in for PostHog's ingestion API.
//
//   node serve.mjs --root DIR --out DIR [--host 127.0.0.1] [--port 8766]
//
// GET  /app/…, /dist/…   static files from --root
// POST anything else     a posthog-js request: the body is decoded (gzip when the `compression`
//                        query parameter is `gzip-js` or the body starts with the gzip magic;
//                        base64 when it is form data `data=…`; else plain JSON) and written to
//                        OUT/requests/<n>.json as {method, url, contentType, contentEncoding,
//                        compression, body}
//                        (body = the decoded JSON). Every event in it (the body is one event, an
//                        array of events or {batch: [...]}) named `$exception` is written, pretty-
//                        printed and otherwise exactly as sent, to
//                        OUT/exceptions/<scenario>/<n>.json, the scenario being the `s` query
//                        parameter of the event's properties.$current_url. Answers 200 `{"status":1}`.
// Any other request      200 `{}` (JSON), so that nothing the SDK asks for hangs or retries.
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
const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '8766'));

const SERVED = ['app', 'dist'];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};
const NAME = /^[a-z0-9-]{1,40}$/;

let requests = 0;
const exceptions = {};

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
      console.error(`GET ${url.pathname}${url.search}: 200 file`);
    } else if (req.method === 'POST') {
      const what = onCapture(req, url, await readBody(req));
      console.error(`POST ${url.pathname}${url.search}: 200 ${what}`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":1}');
    } else {
      await readBody(req);
      console.error(`${req.method} ${url.pathname}${url.search}: 200 {}`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
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
