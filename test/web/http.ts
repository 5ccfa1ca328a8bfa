/** HTTP helpers of the web tests: requests with the path sent as written, and the headers every response must carry. */
import assert from 'node:assert/strict';
import { request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with the path sent exactly as written (no URL normalisation on the way). */
export function get(base: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

export function assertIsolationHeaders(reply: Reply, what: string): void {
  assert.equal(reply.headers['cross-origin-opener-policy'], 'same-origin', what);
  assert.equal(reply.headers['cross-origin-embedder-policy'], 'require-corp', what);
  assert.equal(reply.headers['cross-origin-resource-policy'], 'same-origin', what);
  assert.equal(reply.headers['x-content-type-options'], 'nosniff', what);
}
