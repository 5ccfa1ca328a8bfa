/**
 * The server-wide budget of request body bytes held in memory: bodies being
 * read, or read and not yet answered. --max-queue counts images only once a
 * body is read, and each body may be --max-body-mb: without this bound, 60
 * clients each sending a 20 MB body one byte short held 1.1 GiB. A request
 * takes its declared Content-Length before any byte is read (a chunked body
 * takes its bytes as they arrive) and gives it back when its answer is
 * finished or its connection closes; a request that finds no room gets 503.
 */
import { HttpError, RETRY_AFTER_SECONDS } from './http-io.js';

/** One request's share of the budget. */
export interface BodyReservation {
  /**
   * Holds `total` bytes for the request in all (the share only grows); throws a
   * 503 when the budget has no room for the difference or the request was
   * already answered (its bytes are not held any more).
   */
  cover(total: number): void;
  /** Gives the request's bytes back. Idempotent: the first call gives, later ones do nothing. */
  release(): void;
}

export class BodyBudget {
  private held = 0;

  constructor(
    readonly limitBytes: number,
    /** Called with the bytes held each time they change (the metrics' gauge). */
    private readonly changed: (held: number) => void = () => {},
  ) {}

  /** Bytes held by all requests now. */
  get pendingBytes(): number {
    return this.held;
  }

  /** An empty share for a new request. */
  reservation(): BodyReservation {
    let bytes = 0;
    let released = false;
    return {
      cover: (total) => {
        if (released) throw new HttpError(503, 'the request was answered before its body was read');
        if (total <= bytes) return;
        this.take(total - bytes);
        bytes = total;
      },
      release: () => {
        if (released) return;
        released = true;
        this.give(bytes);
        bytes = 0;
      },
    };
  }

  private take(bytes: number): void {
    if (this.held + bytes > this.limitBytes) {
      throw new HttpError(
        503,
        `the server is at capacity (${this.held} of ${this.limitBytes} bytes of request bodies held, --max-pending-mb; ${bytes} more requested); retry later`,
        { 'Retry-After': RETRY_AFTER_SECONDS, Connection: 'close' },
      );
    }
    this.held += bytes;
    this.changed(this.held);
  }

  private give(bytes: number): void {
    if (bytes === 0) return;
    this.held -= bytes;
    this.changed(this.held);
  }
}
