/**
 * One fuzz case: the bytes a client sends on one connection, in segments
 * (written with small gaps, so the parser meets every split), whether the
 * client then half-closes, the requests they hold, and what the server owes
 * them. Case `index` of a run seeded with `seed` is always the same bytes.
 */
import { chunkedEncoding } from './chunked.js';
import { garbage } from './garbage.js';
import { type Owed, mutateHeaders } from './header-mutate.js';
import { imageBody, imageContentType } from './image-bodies.js';
import { kserveBody } from './kserve-json.js';
import { multipartBody } from './multipart.js';
import { Rand } from './random.js';
import { encodeRequest, type RawRequest, withoutHeader, wellFormed } from './request.js';
import { GET_ROUTES, MAX_PARSED_TARGET, mutateRequestLine, oddTarget } from './request-line.js';
import type { SeedInputs } from './seed-inputs.js';

export type CaseKind = 'valid' | 'image' | 'multipart' | 'kserve' | 'request-line' | 'headers' | 'chunked' | 'garbage' | 'early-close' | 'pipeline';

export interface Segment {
  bytes: Uint8Array;
  /** Milliseconds to wait before writing it. */
  delayMs: number;
}

export interface FuzzCase {
  index: number;
  kind: CaseKind;
  detail: string;
  segments: Segment[];
  /** 'wait': keep the connection open for the answer; 'half-close': end the client's side after the last segment. */
  end: 'wait' | 'half-close';
  /** The method of each request in the bytes, in order. */
  methods: string[];
  /** 'answer': valid HTTP, a status line is owed; 'answer-or-close': not valid HTTP or never completed, a close will do. */
  owed: Owed;
}

export interface CaseLimits {
  maxBodyBytes: number;
  maxImagesPerRequest: number;
}

interface Built {
  request: RawRequest;
  owed: Owed;
  detail: string;
}

const KINDS: readonly (readonly [CaseKind, number])[] = [
  ['valid', 4],
  ['image', 20],
  ['multipart', 13],
  ['kserve', 18],
  ['request-line', 10],
  ['headers', 12],
  ['chunked', 6],
  ['garbage', 6],
  ['early-close', 5],
  ['pipeline', 6],
];

function classifyTarget(r: Rand): string {
  return r.chance(0.8) ? '/v1/classify' : `/v1/classify?topk=${r.pick(['1', '5', '10', '0', 'x', '99999'])}`;
}

function imageRequest(seeds: SeedInputs, r: Rand, limits: CaseLimits): Built {
  const image = imageBody(seeds, r, limits.maxBodyBytes);
  const type = imageContentType(image.format, r);
  const headers: [string, string][] = type === null ? [] : [['Content-Type', type]];
  return {
    request: wellFormed('POST', classifyTarget(r), headers, image.bytes),
    owed: 'answer',
    detail: `${image.detail}; Content-Type ${JSON.stringify(type?.slice(0, 40) ?? null)}`,
  };
}

function multipartRequest(seeds: SeedInputs, r: Rand, limits: CaseLimits): Built {
  const body = multipartBody(seeds, r, limits.maxBodyBytes, limits.maxImagesPerRequest);
  const headers: [string, string][] = body.contentType === null ? [] : [['Content-Type', body.contentType]];
  return { request: wellFormed('POST', classifyTarget(r), headers, body.bytes), owed: 'answer', detail: body.detail };
}

function kserveRequest(r: Rand): Built {
  const body = kserveBody(r);
  const target = r.weighted([
    ['/v2/models/tiny/infer', 85],
    ['/v2/models/tiny/versions/1/infer', 8],
    ['/v2/models/other/infer', 4],
    ['/v2/models/tiny/versions/2/infer', 3],
  ] as const);
  const type = r.pick(['application/json', 'application/json', 'text/plain', null, 'image/png', 'multipart/form-data']);
  const headers: [string, string][] = type === null ? [] : [['Content-Type', type]];
  return { request: wellFormed('POST', target, headers, body.bytes), owed: 'answer', detail: `${target} ${body.detail}` };
}

function getRequest(r: Rand): Built {
  const target = r.chance(0.8) ? r.pick(GET_ROUTES) : oddTarget(r);
  const method = r.chance(0.85) ? 'GET' : r.pick(['HEAD', 'POST', 'DELETE', 'OPTIONS', 'PUT']);
  return {
    request: wellFormed(method, target),
    owed: target.length <= MAX_PARSED_TARGET ? 'answer' : 'answer-or-close',
    detail: `${method} ${target.slice(0, 60)}`,
  };
}

/** A valid request to any route: the base the header, request-line and framing mutations start from. */
function anyRequest(seeds: SeedInputs, r: Rand, limits: CaseLimits): Built {
  return r.weighted<() => Built>([
    [() => getRequest(r), 35],
    [() => imageRequest(seeds, r, limits), 35],
    [() => multipartRequest(seeds, r, limits), 10],
    [() => kserveRequest(r), 20],
  ])();
}

function validRequest(seeds: SeedInputs, r: Rand): Built {
  return r.weighted<() => Built>([
    [() => ({ request: wellFormed('GET', r.pick(GET_ROUTES)), owed: 'answer', detail: 'GET' }), 30],
    [
      () => {
        const format = r.pick(['jpeg', 'png', 'webp'] as const);
        return {
          request: wellFormed('POST', '/v1/classify?topk=3', [['Content-Type', `image/${format}`]], seeds.images[format]),
          owed: 'answer',
          detail: `${format} image`,
        };
      },
      40,
    ],
    [
      () => {
        const boundary = `b${r.text(12)}`;
        const part = (name: string, bytes: Uint8Array): Buffer[] => [
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n`),
          Buffer.from(bytes),
          Buffer.from('\r\n'),
        ];
        const body = Buffer.concat([...part('a.png', seeds.images.png), ...part('b.jpg', seeds.images.jpeg), Buffer.from(`--${boundary}--\r\n`)]);
        return {
          request: wellFormed('POST', '/v1/classify', [['Content-Type', `multipart/form-data; boundary=${boundary}`]], body),
          owed: 'answer',
          detail: 'two-file form',
        };
      },
      20,
    ],
    [
      () => {
        const data = `[${new Array(3 * 224 * 224).fill('0.5').join(',')}]`;
        const body = Buffer.from(`{"id":"v","inputs":[{"name":"input","shape":[1,3,224,224],"datatype":"FP32","data":${data}}]}`);
        return { request: wellFormed('POST', '/v2/models/tiny/infer', [['Content-Type', 'application/json']], body), owed: 'answer', detail: 'infer N=1' };
      },
      10,
    ],
  ])();
}

/** The request's bytes with its body in chunked coding (Content-Length dropped). */
function chunkedRequest(seeds: SeedInputs, r: Rand, limits: CaseLimits): Built {
  const base = r.chance(0.6) ? imageRequest(seeds, r, limits) : r.chance(0.5) ? multipartRequest(seeds, r, limits) : kserveRequest(r);
  const coded = chunkedEncoding(base.request.body, r);
  const headers: RawRequest['headers'] = [...withoutHeader(base.request, 'Content-Length'), ['Transfer-Encoding', 'chunked']];
  return { request: { ...base.request, headers, body: coded.bytes }, owed: coded.owed, detail: `${coded.detail}; ${base.detail}` };
}

/** Cuts `bytes` at random points into segments with gaps of up to 15 ms. */
function segmentsOf(bytes: Uint8Array, r: Rand, split: boolean): Segment[] {
  if (!split || bytes.length < 2) return [{ bytes, delayMs: 0 }];
  const cuts = [...new Set(Array.from({ length: r.range(1, 5) }, () => 1 + r.int(bytes.length - 1)))].sort((a, b) => a - b);
  const out: Segment[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push({ bytes: bytes.subarray(at, cut), delayMs: out.length === 0 ? 0 : r.int(16) });
    at = cut;
  }
  return out;
}

export function generateCase(seeds: SeedInputs, seed: number, index: number, limits: CaseLimits): FuzzCase {
  const r = Rand.forCase(seed, index);
  const kind = r.weighted(KINDS);
  const split = r.chance(0.2);
  // Node's http server closes a connection the client half-closes, dropping its request unanswered: such cases are owed an answer or a close.
  const single = (built: Built, end: FuzzCase['end'] = r.chance(0.1) ? 'half-close' : 'wait'): FuzzCase => ({
    index,
    kind,
    detail: built.detail,
    segments: segmentsOf(encodeRequest(built.request), r, split),
    end,
    methods: [built.request.method.trim()],
    owed: end === 'half-close' ? 'answer-or-close' : built.owed,
  });
  switch (kind) {
    case 'valid':
      return single(validRequest(seeds, r));
    case 'image':
      return single(imageRequest(seeds, r, limits));
    case 'multipart':
      return single(multipartRequest(seeds, r, limits));
    case 'kserve':
      return single(kserveRequest(r));
    case 'request-line': {
      const base = anyRequest(seeds, r, limits);
      const line = mutateRequestLine(base.request, r);
      return single({ request: line.request, owed: line.valid ? base.owed : 'answer-or-close', detail: `${line.detail}; ${base.detail}` });
    }
    case 'headers': {
      const base = anyRequest(seeds, r, limits);
      const mutated = mutateHeaders(base.request, r);
      return single({ request: mutated.request, owed: mutated.owed === 'answer' ? base.owed : mutated.owed, detail: `${mutated.detail}; ${base.detail}` });
    }
    case 'chunked':
      return single(chunkedRequest(seeds, r, limits));
    case 'garbage': {
      const g = garbage(r);
      return {
        index,
        kind,
        detail: g.detail,
        segments: segmentsOf(g.bytes, r, split),
        end: r.chance(0.5) ? 'half-close' : 'wait',
        methods: [],
        owed: 'answer-or-close',
      };
    }
    case 'early-close': {
      const base = r.chance(0.5) ? imageRequest(seeds, r, limits) : r.chance(0.5) ? multipartRequest(seeds, r, limits) : kserveRequest(r);
      const bytes = encodeRequest(base.request);
      const bodyStart = bytes.length - base.request.body.length;
      const cut = r.chance(0.85) && base.request.body.length > 0 ? bodyStart + r.int(base.request.body.length) : r.int(bytes.length);
      const segments = segmentsOf(bytes.subarray(0, cut), r, split);
      // Now and then the client pauses before leaving, so the handler is already reading the body.
      if (r.chance(0.4)) segments.push({ bytes: new Uint8Array(0), delayMs: r.range(5, 120) });
      return {
        index,
        kind,
        detail: `cut at ${cut} of ${bytes.length} (body from ${bodyStart}); ${base.detail}`,
        segments,
        end: 'half-close',
        methods: ['POST'],
        owed: 'answer-or-close',
      };
    }
    default: {
      const count = r.range(2, 5);
      // Node's parser refuses a bad request only when it reaches it, and then drops the connection with the answers
      // still queued for the requests ahead of it: a pipeline holding a mutated request is owed an answer or a close.
      const parts = Array.from({ length: count }, (): Built => {
        const base = r.chance(0.5) ? getRequest(r) : r.chance(0.5) ? imageRequest(seeds, r, limits) : kserveRequest(r);
        if (r.chance(0.25)) {
          const mutated = mutateHeaders(base.request, r);
          return { request: mutated.request, owed: 'answer-or-close', detail: mutated.detail };
        }
        return base;
      });
      const bytes = Buffer.concat(parts.map((p) => encodeRequest(p.request)));
      const end = r.chance(0.2) ? 'half-close' : 'wait';
      return {
        index,
        kind,
        detail: `${count} requests: ${parts.map((p) => `[${p.request.method} ${p.request.target.slice(0, 40)} ${p.detail.slice(0, 80)}]`).join(' ')}`,
        segments: segmentsOf(bytes, r, split),
        end,
        methods: parts.map((p) => p.request.method),
        owed: end === 'wait' && parts.every((p) => p.owed === 'answer') ? 'answer' : 'answer-or-close',
      };
    }
  }
}
