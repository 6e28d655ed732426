// Proxies on 127.0.0.1 in front of a test registry, for what the registry
// itself will not do:
//
//  - startSlowProxy sends blob bodies slowly, and says when one has started:
//    "kill the pull half-way through a download" then happens at a known
//    moment instead of by luck;
//  - startForgingProxy answers some manifest requests itself, with bytes the
//    registry would refuse to store (a schema 1 manifest, layers that are
//    not a list, a manifest that does not hash to the digest asked for), and
//    counts blob requests, so a test can tell that nothing was downloaded.
import { EventEmitter } from 'node:events';
import http from 'node:http';

/**
 * A proxy to UPSTREAM ("127.0.0.1:PORT"). HANDLE(request, response, forward)
 * answers each request; forward(onAnswer) passes it on, and onAnswer
 * (default: pipe it back) gets the registry's answer.
 */
async function startProxy(upstream, handle) {
  const [upstreamHost, upstreamPort] = upstream.split(':');
  const server = http.createServer((request, response) => {
    const forward = (onAnswer = (answer) => answer.pipe(response)) => {
      const outgoing = http.request({ host: upstreamHost, port: upstreamPort, method: request.method, path: request.url, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode, answer.headers);
        onAnswer(answer);
      });
      outgoing.on('error', () => response.destroy());
      request.pipe(outgoing);
    };
    handle(request, response, forward);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${server.address().port}`,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** Start a proxy to UPSTREAM ("127.0.0.1:PORT"); blob bodies go out CHUNK bytes every EVERY ms. */
export async function startSlowProxy(upstream, { chunk = 32 * 1024, every = 25 } = {}) {
  const events = new EventEmitter();
  const proxy = await startProxy(upstream, (request, response, forward) => {
    if (!/\/blobs\/sha256:/.test(request.url) || request.method !== 'GET') return forward();
    forward((answer) => {
      events.emit('blob', request.url);
      answer.on('readable', function trickle() {
        answer.off('readable', trickle);
        const timer = setInterval(() => {
          const piece = answer.read(chunk) ?? answer.read();
          if (piece) response.write(piece);
          else if (answer.readableEnded) {
            clearInterval(timer);
            response.end();
          }
        }, every);
        response.on('close', () => clearInterval(timer));
      });
    });
  });
  return {
    ...proxy,
    /** Resolves when the next blob download starts. */
    nextBlob: () => new Promise((resolve) => events.once('blob', resolve)),
  };
}

/**
 * Start a proxy to UPSTREAM that answers GET /v2/NAME/manifests/REFERENCE
 * itself for every forge(NAME, REFERENCE, BYTES, CONTENT_TYPE) it was given.
 * blobRequests lists the blob paths asked for, in order.
 */
export async function startForgingProxy(upstream) {
  const forged = new Map();
  const blobRequests = [];
  const proxy = await startProxy(upstream, (request, response, forward) => {
    const answer = forged.get(request.url);
    if (request.method === 'GET' && answer) {
      response.writeHead(200, { 'content-type': answer.contentType, 'content-length': answer.bytes.length, 'docker-distribution-api-version': 'registry/2.0' });
      return response.end(answer.bytes);
    }
    if (/\/blobs\/sha256:/.test(request.url)) blobRequests.push(request.url);
    forward();
  });
  return {
    ...proxy,
    blobRequests,
    forge(name, reference, bytes, contentType) {
      forged.set(`/v2/${name}/manifests/${reference}`, { bytes: Buffer.from(bytes), contentType });
      return `${proxy.host}/${name}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
    },
  };
}
