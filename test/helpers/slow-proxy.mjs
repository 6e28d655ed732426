// A proxy on 127.0.0.1 in front of a test registry that sends blob bodies
// slowly, and says when one has started: "kill the pull half-way through a
// download" then happens at a known moment instead of by luck.
import { EventEmitter } from 'node:events';
import http from 'node:http';

/** Start a proxy to UPSTREAM ("127.0.0.1:PORT"); blob bodies go out CHUNK bytes every EVERY ms. */
export async function startSlowProxy(upstream, { chunk = 32 * 1024, every = 25 } = {}) {
  const events = new EventEmitter();
  const [upstreamHost, upstreamPort] = upstream.split(':');
  const server = http.createServer((request, response) => {
    const forward = http.request({ host: upstreamHost, port: upstreamPort, method: request.method, path: request.url, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode, answer.headers);
      if (!/\/blobs\/sha256:/.test(request.url) || request.method !== 'GET') return answer.pipe(response);
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
    forward.on('error', () => response.destroy());
    request.pipe(forward);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${server.address().port}`,
    /** Resolves when the next blob download starts. */
    nextBlob: () => new Promise((resolve) => events.once('blob', resolve)),
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
