/**
 * Admission for work that follows an ack (starting a turn, handing on an answer, opening a
 * modal). Acks are cheap and Slack times them (3 s, then it retries or shows the person an
 * error); the work after them is not. A burst of deliveries shares one event loop: if the work of
 * the first ones started at once, the later ones would be read and acked only after it. So:
 * - while deliveries are being handled, or one arrived in the last `quietMs` (in a burst, more are
 *   on their way: the loop reads them a few at a time), waiting work stays waiting — acks go
 *   first — unless it has waited `maxWaitMs` for its priority (so steady traffic never starves it);
 * - otherwise a few items start per turn of the event loop (`perTurn`), so reads of new
 *   deliveries keep getting their turn in between;
 * - `urgent` work goes before `normal` work: opening a modal must happen within its trigger's
 *   3 seconds, a turn can wait.
 * The receive path reports each delivery: {@link WorkGate.arrived}, then {@link WorkGate.acked}.
 */
export type Priority = 'urgent' | 'normal';

export interface WorkGateOptions {
  /** How many waiting items start per turn of the event loop. Default 2. */
  perTurn?: number;
  /** How long after a delivery arrived work still waits for more, ms. Default 20. */
  quietMs?: number;
  /** The longest an item waits for a busy spell to end, ms, by priority. */
  maxWaitMs?: Partial<Record<Priority, number>>;
}

/**
 * Defaults: a modal opened 1 s after its click still has 2 s of its trigger left; a turn that
 * starts 5 s late is slow, but an ack later than 3 s is a failure Slack shows the person.
 */
const MAX_WAIT_MS: Record<Priority, number> = { urgent: 1_000, normal: 5_000 };

interface Waiting {
  start: () => void;
  since: number;
}

export class WorkGate {
  private readonly waiting: Record<Priority, Waiting[]> = { urgent: [], normal: [] };
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly perTurn: number;
  private readonly quietMs: number;
  private inFlight = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private readonly maxWaitMs: Record<Priority, number>;

  constructor(options: WorkGateOptions | number = {}) {
    const o = typeof options === 'number' ? { perTurn: options } : options;
    this.perTurn = o.perTurn ?? 2;
    this.quietMs = o.quietMs ?? 20;
    this.maxWaitMs = { ...MAX_WAIT_MS, ...o.maxWaitMs };
  }

  /** Resolves when this item may start (by priority, then first come, first served). */
  admit(priority: Priority = 'normal'): Promise<void> {
    return new Promise((start) => {
      this.waiting[priority].push({ start, since: performance.now() });
      this.schedule();
    });
  }

  /** Items waiting to start. */
  get queued(): number {
    return this.waiting.urgent.length + this.waiting.normal.length;
  }

  /** Deliveries read and not yet acked. */
  get deliveriesInFlight(): number {
    return this.inFlight;
  }

  /** A delivery was received: until it is acked (and a quiet spell after), work waits. */
  arrived(): void {
    this.inFlight += 1;
    this.lastArrival = performance.now();
  }

  /** A delivery was acked (or answered otherwise). */
  acked(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight === 0 && this.queued > 0) this.schedule();
  }

  /** ms until work may start without being overdue (0: now). */
  private busyFor(now: number): number {
    if (this.inFlight > 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.lastArrival + this.quietMs - now);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after the loop has polled for I/O: deliveries already waiting go first.
    setImmediate(() => {
      this.scheduled = false;
      this.startSome();
    });
  }

  private startSome(): void {
    const now = performance.now();
    const busyFor = this.busyFor(now);
    const busy = busyFor > 0;
    let started = 0;
    for (const priority of ['urgent', 'normal'] as const) {
      const queue = this.waiting[priority];
      while (started < this.perTurn && queue.length > 0) {
        const first = queue[0] as Waiting;
        if (busy && now - first.since < this.maxWaitMs[priority]) break;
        queue.shift();
        first.start();
        started += 1;
      }
    }
    if (this.queued === 0) return;
    if (!busy || started > 0) {
      this.schedule();
      return;
    }
    // Busy and nothing overdue: wait for the quiet spell to end (acked() reschedules when the
    // last delivery in flight is acked), or for the first item to become overdue.
    const due = (['urgent', 'normal'] as const).flatMap((p) => {
      const first = this.waiting[p][0];
      return first ? [first.since + this.maxWaitMs[p] - now] : [];
    });
    due.push(busyFor);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.schedule();
      },
      Math.max(1, Math.min(...due)),
    );
  }
}
