import { Worker, parentPort } from 'node:worker_threads';
import { DatasetError } from './dataset-error.js';
import { compiledWorkerUrl, workerExecArgv } from './worker-url.js';

// The one worker-thread pool of the package: the loader's decoding workers and the mask
// statistics' counting workers run jobs through it. A job's bad file comes back as a
// `DatasetError` naming it; any other failure as an error with the worker's stack.

interface JobMessage<J> {
  id: number;
  job: J;
}

type Reply<R> =
  | { id: number; ok: true; result: R }
  | { id: number; ok: false; message: string; file?: string; problem?: string };

export interface WorkerPoolOptions {
  /** Compiled worker script beside this module, e.g. `loader-worker.js`. */
  script: string;
  /** Named in errors (`createLoader worker crashed: ...`). */
  caller: string;
  count: number;
  /** Passed to every worker as `workerData`. */
  workerData: unknown;
  /** Jobs a worker runs at once (default 2: enough to overlap file reads with decoding). */
  jobsPerWorker?: number;
}

/** Worker threads that run jobs in order of submission, each on the least busy worker. */
export class WorkerPool<J, R> {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly waiting = new Map<
    number,
    { resolve: (r: R) => void; reject: (e: Error) => void }
  >();
  private readonly queue: JobMessage<J>[] = [];
  private readonly jobsPerWorker: number;
  private nextId = 0;
  private failure: Error | null = null;

  constructor(options: WorkerPoolOptions) {
    const { caller } = options;
    this.jobsPerWorker = options.jobsPerWorker ?? 2;
    const url = compiledWorkerUrl({ name: options.script, caller });
    for (let i = 0; i < options.count; i++) {
      const worker = new Worker(url, {
        workerData: options.workerData,
        execArgv: workerExecArgv(),
      });
      const slot = { worker, busy: 0 };
      worker.on('message', (msg: Reply<R>) => {
        slot.busy--;
        this.dispatch();
        const w = this.waiting.get(msg.id);
        if (!w) return;
        this.waiting.delete(msg.id);
        if (msg.ok) w.resolve(msg.result);
        else if (msg.file !== undefined && msg.problem !== undefined)
          w.reject(new DatasetError({ file: msg.file, problem: msg.problem }));
        else w.reject(new Error(`${caller} worker: ${msg.message}`));
      });
      worker.on('error', (err) => {
        // a crashed worker loses its jobs: fail everything pending and refuse new work
        this.failure = new Error(`${caller} worker crashed: ${err.message}`);
        for (const w of this.waiting.values()) w.reject(this.failure);
        this.waiting.clear();
        this.queue.length = 0;
      });
      this.workers.push(slot);
    }
  }

  /** Sends queued jobs (in order) to the least busy workers with a free slot. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
      if (slot.busy >= this.jobsPerWorker) return;
      slot.busy++;
      slot.worker.postMessage(this.queue.shift()!);
    }
  }

  run(job: J): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.queue.push({ id, job });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.queue.length = 0;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** The worker side: answers every job the pool sends with `handle(job)`. */
export function serveJobs<J, R>(handle: (job: J) => Promise<R>): void {
  const port = parentPort!;
  port.on('message', async ({ id, job }: JobMessage<J>) => {
    try {
      port.postMessage({ id, ok: true, result: await handle(job) } satisfies Reply<R>);
    } catch (err) {
      const e = err as Error;
      const msg: Reply<R> =
        err instanceof DatasetError
          ? { id, ok: false, message: e.message, file: err.file, problem: err.problem }
          : { id, ok: false, message: e?.stack ?? String(err) };
      port.postMessage(msg);
    }
  });
}
