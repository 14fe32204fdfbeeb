import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to one request; decided per request by the test. */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'status'; status: number }
  /** forward the headers and this many body bytes, then cut the connection */
  | { kind: 'cut'; afterBytes: number }
  /** forward slowly: this many bytes per 10 ms */
  | { kind: 'throttle'; bytesPer10ms: number }
  /** forward the headers at once, then the body one byte every `everyMs` */
  | { kind: 'trickle'; everyMs: number };

export interface FaultProxy {
  host: string;
  requests: { method: string; url: string; fault: Fault['kind'] }[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of the test registry that injects faults:
 * error statuses, connections cut mid-body, slow bodies.
 */
export async function startFaultProxy(upstream: string, decide: (req: http.IncomingMessage, n: number) => Fault): Promise<FaultProxy> {
  const requests: FaultProxy['requests'] = [];
  const server = http.createServer((req, res) => {
    const fault = decide(req, requests.length);
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '', fault: fault.kind });
    if (fault.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected fault' }] }));
      return;
    }
    const up = http.request(`http://${upstream}${req.url}`, { method: req.method, headers: { ...req.headers, host: upstream } }, upRes => {
      const headers = { ...upRes.headers };
      // keep redirects (the registry may send blobs elsewhere) pointing at us
      if (headers.location) headers.location = headers.location.replace(upstream, `127.0.0.1:${(server.address() as AddressInfo).port}`);
      res.writeHead(upRes.statusCode ?? 502, headers);
      let sent = 0;
      const trickled: number[] = [];
      upRes.on('data', (chunk: Buffer) => {
        if (fault.kind === 'cut') {
          const room = fault.afterBytes - sent;
          if (room <= 0) return;
          res.write(chunk.subarray(0, room));
          sent += Math.min(room, chunk.length);
          if (sent >= fault.afterBytes) { upRes.destroy(); setTimeout(() => res.socket?.destroy(), 20); }
          return;
        }
        if (fault.kind === 'trickle') {
          // buffered here, so the upstream connection finishes and cannot time out behind us
          trickled.push(...chunk);
          return;
        }
        if (fault.kind === 'throttle') {
          upRes.pause();
          let off = 0;
          const step = () => {
            if (off >= chunk.length) { upRes.resume(); return; }
            res.write(chunk.subarray(off, off + fault.bytesPer10ms));
            off += fault.bytesPer10ms;
            setTimeout(step, 10);
          };
          step();
          return;
        }
        res.write(chunk);
      });
      upRes.on('end', () => {
        if (fault.kind === 'trickle') {
          const step = () => {
            if (res.destroyed) return;
            if (!trickled.length) { res.end(); return; }
            res.write(Buffer.from([trickled.shift() as number]));
            setTimeout(step, fault.everyMs).unref();
          };
          step();
        } else if (fault.kind !== 'cut') {
          res.end();
        }
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
