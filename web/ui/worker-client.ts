/**
 * The page's side of the worker protocol: `request(type, params)` returns a
 * promise of that request's result; events go to `onEvent`. When the worker
 * dies (its script failed to load, it ran out of memory), every pending
 * request fails and `onFatal` gets a message for people.
 */
import type { EventMessage, Params, RequestMessage, RequestName, Result, WorkerMessage } from '../protocol.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: string | null = null;

  constructor(
    url: URL,
    private readonly onEvent: (event: EventMessage['event']) => void,
    private readonly onFatal: (message: string) => void,
  ) {
    this.worker = new Worker(url, { type: 'module', name: 'alexnet-model' });
    this.worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => this.receive(event.data));
    this.worker.addEventListener('error', (event) => {
      event.preventDefault();
      const detail = event.message ? `: ${event.message}` : ' (its script or alexnet-ts.js failed to load)';
      this.fail(`The model worker stopped${detail}. Reload the page to start again.`);
    });
    this.worker.addEventListener('messageerror', () => this.fail('A message from the model worker could not be read.'));
  }

  request<K extends RequestName>(type: K, params: Params<K>, transfer: Transferable[] = []): Promise<Result<K>> {
    if (this.dead !== null) return Promise.reject(new Error(this.dead));
    const id = this.nextId++;
    return new Promise<Result<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const message = { id, type, params } as RequestMessage;
      this.worker.postMessage(message, transfer);
    });
  }

  private receive(message: WorkerMessage): void {
    if (message.kind === 'event') {
      this.onEvent(message.event);
      return;
    }
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new Error(message.error));
  }

  private fail(message: string): void {
    if (this.dead !== null) return;
    this.dead = message;
    for (const pending of this.pending.values()) pending.reject(new Error(message));
    this.pending.clear();
    this.onFatal(message);
  }
}
