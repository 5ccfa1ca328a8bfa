/**
 * Request lines: the server's routes as targets, with odd but valid forms
 * (percent-encoding, dot segments, absolute-form, overlong paths and
 * queries, odd topk values) and broken ones (spaces, control and non-ASCII
 * bytes, bad percent escapes); methods known, unknown, lowercase or absurd;
 * versions 1.1, 1.0, none (0.9), 2.0 or garbage; bare LF or CR line endings.
 * `valid` says whether Node's parser still takes the line (RFC 9112 syntax,
 * a method llhttp knows, version 1.0 or 1.1, within its 16 KiB head), so
 * the server's own code answers it and a status line is owed; what the
 * parser refuses it answers 400 or 431 and closes, and a close will do.
 */
import type { Rand } from './random.js';
import { type RawRequest, utf8Bytes } from './request.js';

export const GET_ROUTES = ['/v2', '/v2/health/live', '/v2/health/ready', '/v2/models/tiny', '/v2/models/tiny/versions/1', '/v2/models/tiny/ready', '/metrics'];
export const POST_ROUTES = ['/v1/classify', '/v2/models/tiny/infer', '/v2/models/tiny/versions/1/infer'];

/** A target on the server's routes (or near them), valid request-target syntax. */
export function oddTarget(r: Rand): string {
  return r.weighted<() => string>([
    [() => r.pick([...GET_ROUTES, ...POST_ROUTES]), 20],
    [() => `/v1/classify?topk=${r.pick(['0', '-1', '1', '3', '1000', '1e1', 'abc', '', '%00', '9'.repeat(400), '5&topk=2', '1.0', '0x3', '+2'])}`, 12],
    [
      () =>
        r.pick([
          '/v2/models/%74iny',
          '/v2/models/tiny%2Fversions%2F1',
          '/v2/models/%ZZ/ready',
          '/v2/models/%',
          '/v2/models/%C0%AF',
          '/v2/models/%00',
          '/v2/models/TINY',
          '/v2/models/tiny/versions/01',
          '/v2/models/tiny/versions/%31',
          '/v2/models/tiny/versions/2/ready',
        ]),
      10,
    ],
    [
      () =>
        r.pick([
          '/',
          '//v2',
          '/v2/',
          '/v2/../v2/health/live',
          '/./v2',
          '/v2/health//live',
          '/V2',
          '/v2%2Fhealth%2Flive',
          '/v2;x=1',
          '/v2?',
          '/v2?#',
          '/v2#frag',
          '/metrics?x=%zz',
        ]),
      10,
    ],
    [() => `http://example.com${r.pick(GET_ROUTES)}`, 4],
    [() => `/${'a'.repeat(r.pick([100, 2000, 8000, 20_000, 80_000]))}`, 5],
    [() => `/v2/models/${'%41'.repeat(r.range(10, 3000))}`, 3],
    [() => `/v1/classify?${Array.from({ length: r.range(10, 2000) }, (_, i) => `k${i}=v`).join('&')}`, 3],
    [() => r.pick(['*', 'example.com:80']), 3],
  ])();
}

const KNOWN = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT'];

/** Longest target still counted on to fit Node's 16 KiB request head with the headers. */
export const MAX_PARSED_TARGET = 8000;

export interface MutatedLine {
  request: RawRequest;
  valid: boolean;
  detail: string;
}

/** Changes the method, target, version or line ending of `request`. */
export function mutateRequestLine(request: RawRequest, r: Rand): MutatedLine {
  const op = r.weighted([
    ['method', 20],
    ['target', 30],
    ['bad-target', 15],
    ['version', 15],
    ['eol', 8],
    ['spacing', 7],
  ] as const);
  switch (op) {
    case 'method': {
      const [method, valid] = r.weighted<[string, boolean]>([
        [[r.pick(KNOWN), true], 50],
        // Tokens, so RFC syntax, but not methods llhttp knows (or not in its case): its 400 and a close will do.
        [[r.pick(['get', 'Post', 'FOO', 'PRI', 'PROPFIND', 'M-SEARCH', 'SEARCH', 'QUERY', 'LINK']), false], 20],
        [['X'.repeat(r.range(20, 5000)), false], 5],
        [['', false], 5],
        [[r.pick(['GE T', 'G\u0000T', 'GET\t', 'P\u00d6ST', '(GET)', 'GET/']), false], 20],
      ]);
      return {
        request: { ...request, method },
        valid,
        detail: `method ${JSON.stringify(method.slice(0, 30))}${method.length > 30 ? `(${method.length})` : ''}`,
      };
    }
    case 'target': {
      const target = oddTarget(r);
      return {
        request: { ...request, target },
        valid: target.length <= MAX_PARSED_TARGET,
        detail: `target ${JSON.stringify(target.slice(0, 60))}${target.length > 60 ? `(${target.length})` : ''}`,
      };
    }
    case 'bad-target': {
      const target = r.pick([
        '',
        '/v2 /health',
        '/v2\u0000',
        '/v2\u007f',
        '/v2\thealth',
        utf8Bytes('/v2/models/тини'),
        '/v2/models/\u00ff\u00fe',
        'v2/health/live',
        '/v2\\health',
        '/v2"<>{}|^`',
        '\u0001',
        'http://[::1/v2',
        '//',
      ]);
      return { request: { ...request, target }, valid: false, detail: `bad target ${JSON.stringify(target)}` };
    }
    case 'version': {
      const [version, valid] = r.weighted<[string | null, boolean]>([
        [['HTTP/1.0', true], 40],
        [[null, false], 10],
        // RFC syntax, but llhttp takes only 1.0 and 1.1 requests; then not even RFC syntax.
        [[r.pick(['HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'HTTP/9.9']), false], 15],
        [[r.pick(['http/1.1', 'HTTP/1', 'HTTP/3', 'HTTP/1.1x', 'HTTP/11', 'HTTP 1.1', 'HTTPS/1.1', 'HTTP/1.1 extra', 'HTTP/\u00ff']), false], 35],
      ]);
      return { request: { ...request, version }, valid, detail: `version ${JSON.stringify(version)}` };
    }
    case 'eol': {
      const eol = r.pick(['\n', '\r', '\r\r\n', '\n\r']);
      return { request: { ...request, eol }, valid: false, detail: `line ending ${JSON.stringify(eol)}` };
    }
    default: {
      const method = r.pick([` ${request.method}`, `${request.method} `, `\r\n${request.method}`]);
      // One empty line before the request line is allowed (RFC 9112 §2.2); leading spaces are not.
      return { request: { ...request, method }, valid: method.startsWith('\r\n'), detail: `spacing ${JSON.stringify(method)}` };
    }
  }
}
