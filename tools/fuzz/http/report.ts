/**
 * Judging each exchange and adding it up: a case is answered when a status
 * line came back; a case whose bytes are not valid HTTP (or never complete)
 * may instead be closed on, counted by kind; anything else is a finding: a
 * valid request closed on without an answer, a connection left hanging, a
 * 5xx other than 503/504, a reply that is not HTTP, pipelined valid
 * requests answered short of their number without a Connection: close, a
 * failed health check, or a server that cannot drain at the end.
 */
import type { FuzzCase } from './cases.js';
import type { Exchange } from './exchange.js';

export interface Finding {
  what: 'unanswered' | 'hung' | '5xx' | 'malformed-response' | 'pipeline-short' | 'server-check' | 'shutdown';
  index: number;
  kind: string;
  detail: string;
  /** The first bytes sent, escaped. */
  sent: string;
  /** What came back, in short. */
  got: string;
}

export interface HttpFuzzReport {
  seed: number;
  cases: number;
  /** Cases with at least one status line back. */
  answered: number;
  /** Cases closed on without a status line, allowed for their bytes (not valid HTTP, or never completed), by kind. */
  closedWithoutAnswer: Record<string, number>;
  /** How those closes came: FIN or reset. */
  closeEndings: Record<string, number>;
  /** Final statuses of every answer (pipelined requests each count). */
  statuses: Record<string, number>;
  /** 100 Continue and other 1xx answers. */
  interim: number;
  /** Cases of each kind. */
  kinds: Record<string, number>;
  findings: Finding[];
  /** Health checks passed (GET /v2/health/live and a good classify, every `checkEvery` cases and at the end). */
  checks: number;
  /** True when the last health check passed. */
  alive: boolean;
  rssBeforeMb: number;
  rssAfterMb: number;
  peakRssMb: number;
  /** JS heap in use after a full collection, before the first case and after the last. */
  heapBeforeMb: number;
  heapAfterMb: number;
  ms: number;
  /** The slowest case. */
  slowest: { index: number; kind: string; ms: number };
}

export function emptyReport(seed: number): HttpFuzzReport {
  return {
    seed,
    cases: 0,
    answered: 0,
    closedWithoutAnswer: {},
    closeEndings: {},
    statuses: {},
    interim: 0,
    kinds: {},
    findings: [],
    checks: 0,
    alive: false,
    rssBeforeMb: 0,
    rssAfterMb: 0,
    peakRssMb: 0,
    heapBeforeMb: 0,
    heapAfterMb: 0,
    ms: 0,
    slowest: { index: -1, kind: '', ms: 0 },
  };
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** The first `n` bytes sent, as a JS string literal's content. */
export function sentPreview(fuzzCase: FuzzCase, n = 240): string {
  const bytes = Buffer.concat(fuzzCase.segments.map((s) => s.bytes));
  const text = JSON.stringify(bytes.subarray(0, n).toString('latin1')).slice(1, -1);
  return bytes.length > n ? `${text}… (${bytes.length} bytes)` : text;
}

function summary(ex: Exchange): string {
  const answers = ex.responses.map((r) => `${r.status} ${JSON.stringify(r.bodyStart.slice(0, 160))}`).join(' | ');
  return `${answers || 'no status line'}; ended by ${ex.ending} after ${ex.ms.toFixed(0)} ms${ex.malformed ? `; malformed: ${ex.malformed}` : ''}`;
}

export function record(report: HttpFuzzReport, fuzzCase: FuzzCase, ex: Exchange): Finding[] {
  report.cases++;
  bump(report.kinds, fuzzCase.kind);
  report.interim += ex.interim;
  if (ex.ms > report.slowest.ms) report.slowest = { index: fuzzCase.index, kind: fuzzCase.kind, ms: ex.ms };
  const found: Finding[] = [];
  const finding = (what: Finding['what']): void => {
    found.push({ what, index: fuzzCase.index, kind: fuzzCase.kind, detail: fuzzCase.detail, sent: sentPreview(fuzzCase), got: summary(ex) });
  };
  for (const response of ex.responses) {
    bump(report.statuses, String(response.status));
    if (response.status >= 500 && response.status !== 503 && response.status !== 504) finding('5xx');
  }
  if (ex.malformed !== null) finding('malformed-response');
  if (ex.responses.length > 0) {
    report.answered++;
  } else if (ex.ending === 'timeout') {
    finding('hung');
  } else if (fuzzCase.owed === 'answer') {
    finding('unanswered');
  } else {
    bump(report.closedWithoutAnswer, fuzzCase.end === 'half-close' ? `${fuzzCase.kind}/half-closed` : fuzzCase.kind);
    bump(report.closeEndings, ex.ending);
  }
  const closing = ex.responses.some((r) => /\bclose\b/i.test(r.headers.connection ?? ''));
  if (fuzzCase.owed === 'answer' && ex.responses.length > 0 && ex.responses.length < fuzzCase.methods.length && !closing && ex.malformed === null)
    finding('pipeline-short');
  report.findings.push(...found);
  return found;
}

const counts = (c: Record<string, number>): string =>
  Object.entries(c)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export function summaryLine(report: HttpFuzzReport, concurrency: number): string {
  const closed = Object.values(report.closedWithoutAnswer).reduce((a, b) => a + b, 0);
  return [
    `http-fuzz: ${report.cases} cases (seed ${report.seed}, concurrency ${concurrency}): ${report.answered} answered`,
    `${closed} closed without answer (${counts(report.closedWithoutAnswer) || 'none'}; ${counts(report.closeEndings) || '-'})`,
    `statuses ${counts(report.statuses)}${report.interim > 0 ? `, 1xx ${report.interim}` : ''}`,
    `${report.findings.length} findings`,
    `${report.checks} health checks ${report.alive ? 'passed' : 'FAILED'}`,
    `RSS ${report.rssBeforeMb.toFixed(0)} → ${report.rssAfterMb.toFixed(0)} MB (peak ${report.peakRssMb.toFixed(0)}), heap ${report.heapBeforeMb.toFixed(0)} → ${report.heapAfterMb.toFixed(0)} MB`,
    `slowest #${report.slowest.index} ${report.slowest.kind} ${report.slowest.ms.toFixed(0)} ms`,
    `${(report.ms / 1000).toFixed(1)} s`,
  ].join('; ');
}

export function findingLine(f: Finding): string {
  return `FINDING ${f.what} case #${f.index} (${f.kind}): ${f.detail}\n  sent: ${f.sent}\n  got:  ${f.got}`;
}
