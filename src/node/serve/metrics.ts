/**
 * The server's Prometheus metrics (text exposition format at GET /metrics),
 * on a registry of its own so that several servers in one process (tests)
 * do not share counters. Route labels are route templates, never raw URLs,
 * so a client cannot grow the label set.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds: from a millisecond to a minute, roughly doubling. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status'>;
  private readonly requestSeconds: Histogram<'route'>;
  private readonly queueSeconds: Histogram;
  private readonly computeSeconds: Histogram;
  private readonly batchSize: Histogram;
  private readonly queueDepth: Gauge;
  private readonly bodyBytes: Gauge;

  constructor(maxBatch: number) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'alexnet_requests_total',
      help: 'HTTP requests answered, by route and status code',
      labelNames: ['route', 'status'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'alexnet_request_duration_seconds',
      help: 'Time from a request arriving to its answer, by route',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.queueSeconds = new Histogram({
      name: 'alexnet_queue_duration_seconds',
      help: 'Time an image waited in the batching queue',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.computeSeconds = new Histogram({
      name: 'alexnet_compute_duration_seconds',
      help: "Time of one batch's forward pass",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batchSize = new Histogram({ name: 'alexnet_batch_size', help: 'Images per forward pass', buckets: powersOfTwoUpTo(maxBatch), registers });
    this.queueDepth = new Gauge({ name: 'alexnet_queue_depth', help: 'Images waiting in the batching queue', registers });
    this.bodyBytes = new Gauge({
      name: 'alexnet_request_body_bytes_pending',
      help: 'Bytes of request bodies held: being read, or read and not yet answered (at most --max-pending-mb)',
      registers,
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'alexnet_' });
  }

  request(route: string, status: number, seconds: number): void {
    this.requests.inc({ route, status: String(status) });
    this.requestSeconds.observe({ route }, seconds);
  }

  batch(size: number, computeMs: number, queueMs: readonly number[]): void {
    this.batchSize.observe(size);
    this.computeSeconds.observe(computeMs / 1000);
    for (const ms of queueMs) this.queueSeconds.observe(ms / 1000);
  }

  depth(items: number): void {
    this.queueDepth.set(items);
  }

  bodyBytesPending(bytes: number): void {
    this.bodyBytes.set(bytes);
  }

  /** The text exposition and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/** 1, 2, 4, ... up to and including `max` (a batch of exactly max gets its own bucket). */
function powersOfTwoUpTo(max: number): number[] {
  const buckets: number[] = [];
  for (let b = 1; b < max; b *= 2) buckets.push(b);
  buckets.push(max);
  return buckets;
}
