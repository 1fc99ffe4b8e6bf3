/**
 * Registration work waits here so that everything else on the SIP socket goes first.
 *
 * In a registration storm the one signaling thread is saturated by REGISTERs (digest, index
 * reads and writes). Handled in arrival order, a keepalive waits behind every REGISTER already in
 * the kernel's socket buffer: hundreds of milliseconds. Here REGISTERs are queued and run a few
 * per event-loop turn, so the socket is read between batches and keepalives, answers and other
 * requests are handled as they arrive.
 *
 * The queue is FIFO. Letting digest answers overtake new REGISTERs was measured: new ones then
 * waited past T1 and devices retransmitted them, 30,000 extra requests in a 30,000-device storm.
 * The limit keeps a REGISTER's wait under T1 (500 ms) at this machine's 4,000-4,800 REGISTERs/s;
 * beyond it new REGISTERs are shed before they are even parsed (`shouldShed`) and the device
 * retransmits them, as it would had the kernel dropped them. A digest answer is let past the
 * limit (up to twice it): it finishes a registration whose challenge was already paid for.
 * Figures: docs/BENCHMARKS.md, issue 2.
 */
export interface RegisterQueueOptions {
  /** REGISTERs waiting at most; beyond that new ones are shed. */
  maxQueued: number;
  /** REGISTERs started per event-loop turn. */
  perTurn: number;
  /** Called for each REGISTER shed (metrics, a rate-limited log line). */
  onShed?: () => void;
}

type Job = () => Promise<void>;

/** The bytes every REGISTER request starts with. */
const REGISTER_PREFIX = Buffer.from('REGISTER ');
/** A digest answer, as devices spell the header (a byte search costs far less than a parse). */
const AUTHORIZATION = ['\nAuthorization:', '\nauthorization:', '\nAUTHORIZATION:'].map((h) => Buffer.from(h));

export class RegisterQueue {
  /** A FIFO as an array and a head index: no O(n) shift per job. */
  private readonly jobs: Array<Job | undefined> = [];
  private head = 0;
  private scheduled = false;
  private closed = false;
  private shedCount = 0;

  constructor(private readonly options: RegisterQueueOptions) {
    if (!(options.maxQueued >= 1) || !(options.perTurn >= 1)) throw new RangeError('register queue sizes must be at least 1');
  }

  get length(): number {
    return this.jobs.length - this.head;
  }

  /** REGISTERs shed since start. */
  get shed(): number {
    return this.shedCount;
  }

  /**
   * True when `datagram` is a REGISTER the full queue cannot take: the transport drops it unread.
   * Cheap on purpose: it runs for every datagram before parsing.
   */
  shouldShed(datagram: Buffer): boolean {
    if (this.length < this.options.maxQueued) return false;
    if (datagram.length < REGISTER_PREFIX.length || datagram.compare(REGISTER_PREFIX, 0, REGISTER_PREFIX.length, 0, REGISTER_PREFIX.length) !== 0) {
      return false;
    }
    if (this.length < this.options.maxQueued * 2 && AUTHORIZATION.some((h) => datagram.includes(h))) return false;
    this.noteShed();
    return true;
  }

  /**
   * Queues a REGISTER's handling. Returns false (and runs nothing) when the queue is full; a
   * REGISTER that reached here over TCP or past `shouldShed` is then the caller's to refuse.
   */
  enqueue(job: Job, hasDigestAnswer: boolean): boolean {
    if (this.closed) return false;
    if (this.length >= this.options.maxQueued * (hasDigestAnswer ? 2 : 1)) {
      this.noteShed();
      return false;
    }
    this.jobs.push(job);
    this.schedule();
    return true;
  }

  /** Drops what waits; queued jobs never run. */
  close(): void {
    this.closed = true;
    this.jobs.length = 0;
    this.head = 0;
  }

  private noteShed(): void {
    this.shedCount += 1;
    this.options.onShed?.();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    // setImmediate runs after the poll phase: the socket is read between two batches.
    setImmediate(() => this.runTurn());
  }

  private runTurn(): void {
    this.scheduled = false;
    for (let started = 0; started < this.options.perTurn; started++) {
      const job = this.next();
      if (job === undefined) break;
      // A job's errors are its own (the caller wraps it); a rejection must not stop the queue.
      job().catch(() => undefined);
    }
    if (this.length > 0) this.schedule();
  }

  private next(): Job | undefined {
    if (this.head >= this.jobs.length) return undefined;
    const job = this.jobs[this.head];
    this.jobs[this.head++] = undefined;
    if (this.head >= this.jobs.length) {
      this.jobs.length = 0;
      this.head = 0;
    }
    return job;
  }
}
