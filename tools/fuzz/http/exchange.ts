/**
 * Plays one case on a fresh TCP connection (node:net, so any bytes can be
 * sent): writes its segments with their gaps, half-closes if the case says
 * so, and reads what comes back until every request has its answer, the
 * server closes or resets the connection, or the deadline passes.
 */
import { connect } from 'node:net';
import type { FuzzCase } from './cases.js';
import { type ParsedResponse, ResponseReader } from './response-reader.js';

export interface Exchange {
  responses: ParsedResponse[];
  /** 1xx answers (100 Continue). */
  interim: number;
  /** How it ended: the client had every answer, the server closed (FIN) or reset, or nothing came in time. */
  ending: 'client' | 'server-close' | 'server-reset' | 'timeout';
  /** A reply that is not HTTP: what was wrong with it. */
  malformed: string | null;
  ms: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function exchange(port: number, fuzzCase: FuzzCase, deadlineMs: number): Promise<Exchange> {
  const started = performance.now();
  const reader = new ResponseReader(fuzzCase.methods);
  const expected = Math.max(1, fuzzCase.methods.length);
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reset = false;
    let done = false;
    const finish = (ending: Exchange['ending']): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses: reader.responses, interim: reader.interim, ending, malformed: reader.malformed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish('timeout'), deadlineMs);
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      if (reader.malformed !== null) finish('client');
      else if (reader.responses.length >= expected && !reader.midResponse) finish('client');
    });
    // EPIPE or ECONNRESET: the server is gone from this connection; what it sent before is kept.
    socket.on('error', () => {
      reset = true;
    });
    socket.on('close', () => {
      reader.end();
      finish(reset ? 'server-reset' : 'server-close');
    });
    socket.on('connect', async () => {
      for (const segment of fuzzCase.segments) {
        if (segment.delayMs > 0) await sleep(segment.delayMs);
        if (done || socket.destroyed || !socket.writable) return;
        if (segment.bytes.length > 0) socket.write(segment.bytes);
      }
      if (fuzzCase.end === 'half-close' && !done && socket.writable) socket.end();
    });
  });
}
