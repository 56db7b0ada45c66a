/**
 * A real HTTP server on 127.0.0.1 for hub tests: serves files with ETag and Range
 * support, and can be told to cut the connection or stall after some bytes.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash } from 'node:crypto';

export type Behaviour =
  { cut: number } | { stall: number } | { status: number } | { delayMsPerChunk: number };

export interface SeenRequest {
  path: string;
  range?: string;
  ifRange?: string;
}

export class TestServer {
  readonly files = new Map<string, Buffer>();
  readonly requests: SeenRequest[] = [];
  /** Behaviours for the next requests, consumed one per request. */
  readonly next: Behaviour[] = [];
  private readonly sockets = new Set<Socket>();
  private server!: http.Server;
  url = '';

  static async start(): Promise<TestServer> {
    const s = new TestServer();
    s.server = http.createServer((req, res) => s.handle(req, res));
    s.server.on('connection', (c) => {
      s.sockets.add(c);
      c.on('close', () => s.sockets.delete(c));
    });
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}/`;
    return s;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push({
      path,
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
    });
    const behaviour = this.next.shift();
    const body = this.files.get(path);
    if (behaviour && 'status' in behaviour) {
      res.writeHead(behaviour.status).end('error');
      return;
    }
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html>404 Not Found</html>');
      return;
    }
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (m && (!ifRange || ifRange === etag)) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        'content-length': body.length - start,
        etag,
      });
    } else {
      res.writeHead(200, { 'content-length': body.length, etag });
    }
    const rest = body.subarray(start);
    if (behaviour && 'cut' in behaviour) {
      res.write(rest.subarray(0, behaviour.cut), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    if (behaviour && 'stall' in behaviour) {
      res.write(rest.subarray(0, behaviour.stall)); // then nothing, connection left open
      return;
    }
    if (behaviour && 'delayMsPerChunk' in behaviour) {
      const step = 64 * 1024;
      let off = 0;
      const pump = (): void => {
        if (off >= rest.length) {
          res.end();
          return;
        }
        res.write(rest.subarray(off, off + step));
        off += step;
        setTimeout(pump, behaviour.delayMsPerChunk);
      };
      pump();
      return;
    }
    res.end(rest);
  }

  async close(): Promise<void> {
    for (const c of this.sockets) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
