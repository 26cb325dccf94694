/**
 * Admission for work that follows an ack (starting a turn, handing on an answer). Acks are cheap
 * and Slack times them; the work after them is not. When many deliveries arrive at once, starting
 * all their work in one go would leave the event loop busy for long stretches, and the next acks
 * would wait behind it. The gate starts a few items per turn of the event loop instead, so reads
 * of new deliveries (and their acks) keep getting their turn in between.
 */
export class WorkGate {
  private readonly waiting: Array<() => void> = [];
  private scheduled = false;

  /** @param perTurn how many waiting items start per turn of the event loop */
  constructor(private readonly perTurn = 2) {}

  /** Resolves when this item may start (first come, first served). */
  admit(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  get queued(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after the loop has polled for I/O: deliveries already waiting go first.
    setImmediate(() => {
      this.scheduled = false;
      for (const start of this.waiting.splice(0, this.perTurn)) start();
      if (this.waiting.length > 0) this.schedule();
    });
  }
}
