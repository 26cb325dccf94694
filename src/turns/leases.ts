/**
 * Running turns, visible to every process. A turn that runs holds a lease on its conversation:
 * a second message there waits its turn instead of interleaving, and the lease names what the
 * turn is doing ("demo · create_ticket"). Each process keeps a heartbeat; when one stops beating
 * (killed, crashed, frozen past the lease), another process finds its running turns and tells each
 * person what is known — so no "⏳ Running…" stays forever.
 */
import { randomBytes } from 'node:crypto';
import { type Conversation, sessionKey } from '../conversation.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';

export interface TurnLeaseOptions {
  store: Store;
  logger: Logger;
  processId: string;
  /** How long a process may go without a heartbeat before its turns count as cut off (ms). */
  leaseMs: number;
  /** Tells a person that their turn was cut off (by the sweeping process). */
  tellCutOff: (conversation: Conversation, doing: string | undefined) => Promise<void>;
}

interface LeaseRecord {
  token: string;
  processId: string;
  conversation: Conversation;
}

export interface TurnLease {
  /** Records what the turn is doing (`undefined`: between calls). */
  doing(what: string | undefined): Promise<void>;
  release(): Promise<void>;
}

const PROCESSES = 'procs';
const LEASE_TTL_MS = 20 * 60_000;
/** A process's recent running-turn keys, for whoever sweeps after it. */
const turnsOf = (processId: string) => `proc-turns:${processId}`;
const aliveKey = (processId: string) => `alive:${processId}`;
const leaseKey = (c: Conversation) => `running:{${sessionKey(c)}}`;
/** What the running turn of a conversation is doing (beside its lease, which never changes). */
const doingKey = (lease: string) => `doing:${lease}`;

/** Most lease keys remembered as listed (see {@link TurnLeases.list}). */
const LISTED_MAX = 10_000;

export class TurnLeases {
  private timer: NodeJS.Timeout | undefined;
  /** Lease keys this process put in its `proc-turns` list lately, and when. */
  private readonly listed = new Map<string, number>();

  constructor(private readonly o: TurnLeaseOptions) {}

  /** Starts the heartbeat and the sweep for other processes' cut-off turns. */
  async start(): Promise<void> {
    await this.beat();
    await this.o.store.append(PROCESSES, [this.o.processId], 1_000, 7 * 24 * 3600_000);
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
  }

  /** Stops beating; a clean stop also drops the heartbeat (its turns have ended by then). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.o.store.delete(aliveKey(this.o.processId)).catch(() => undefined);
  }

  /**
   * Takes the conversation's lease for a turn. `undefined` when another turn runs there. With
   * `wait`, waits for it (up to `wait` ms) — a resumed turn must go on, after the one running.
   */
  async acquire(conversation: Conversation, wait = 0): Promise<TurnLease | undefined> {
    const { store, processId } = this.o;
    const key = leaseKey(conversation);
    const value = JSON.stringify({
      token: randomBytes(9).toString('base64url'),
      processId,
      conversation,
    } satisfies LeaseRecord);
    const until = Date.now() + wait;
    // Long enough for any turn (tool calls time out after 10 minutes); a process that dies is
    // found by its heartbeat long before, and a clean end releases it at once. The key is listed
    // for the sweep in the same round trip (listing it when the lease is someone else's is
    // harmless: the sweep reads whose it is).
    const [got] = await Promise.all([store.setIfAbsent(key, value, LEASE_TTL_MS), this.list(key)]);
    if (!got)
      while (!(await store.setIfAbsent(key, value, LEASE_TTL_MS))) {
        if (Date.now() >= until) return wait > 0 ? this.acquireAnyway(conversation) : undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
    return {
      doing: async (what) => {
        if (what) await store.set(doingKey(key), what, LEASE_TTL_MS);
        else await store.delete(doingKey(key));
      },
      // Both in one round trip (the client pipelines commands sent together).
      release: async () => {
        await Promise.all([
          store.deleteIfEquals(key, value).catch(() => undefined),
          store.delete(doingKey(key)).catch(() => undefined),
        ]);
      },
    };
  }

  /**
   * Puts a lease key in this process's `proc-turns` list, where a sweep looks after this process
   * dies — unless it was put there lately (a person's next turn): the list keeps it, and
   * re-appending it cost every turn a round trip. A failure only costs this turn its
   * cut-off notice, so it is not the turn's failure.
   */
  private list(key: string): Promise<void> {
    const { store, processId, leaseMs } = this.o;
    const now = Date.now();
    const at = this.listed.get(key);
    // The list lives leaseMs × 20 from its last append: a key listed within leaseMs × 5 is there.
    if (at !== undefined && now - at < leaseMs * 5) return Promise.resolve();
    this.listed.delete(key);
    this.listed.set(key, now);
    if (this.listed.size > LISTED_MAX) this.listed.delete(this.listed.keys().next().value as string);
    return store.append(turnsOf(processId), [key], 10_000, leaseMs * 20).catch(() => {
      this.listed.delete(key);
    });
  }

  /** A resumed turn that waited long enough runs anyway, without the lease (logged). */
  private acquireAnyway(conversation: Conversation): TurnLease {
    this.o.logger.warn(
      { platform: conversation.platform },
      'resuming a turn while another runs in its conversation',
    );
    return { doing: async () => undefined, release: async () => undefined };
  }

  private async beat(): Promise<void> {
    const { store, leaseMs } = this.o;
    await store.set(aliveKey(this.o.processId), '1', leaseMs);
  }

  private async tick(): Promise<void> {
    try {
      await this.beat();
      await this.sweep();
    } catch (err) {
      this.o.logger.debug({ err: describeError(err) }, 'turn lease upkeep failed');
    }
  }

  /** Finds turns of processes that stopped beating, and tells their people once. */
  async sweep(): Promise<void> {
    const { store } = this.o;
    const processes = [...new Set(await store.range(PROCESSES))].filter((p) => p !== this.o.processId);
    for (const pid of processes) {
      if (await store.get(aliveKey(pid))) continue;
      for (const key of new Set(await store.range(turnsOf(pid)))) {
        const raw = await store.get(key);
        if (!raw) continue;
        const record = JSON.parse(raw) as LeaseRecord;
        if (record.processId !== pid) continue;
        const doing = await store.get(doingKey(key));
        // Whoever deletes it tells the person: of several sweeping processes, one does.
        if (!(await store.deleteIfEquals(key, raw))) continue;
        await store.delete(doingKey(key));
        await this.o
          .tellCutOff(record.conversation, doing)
          .catch((err: unknown) =>
            this.o.logger.warn({ err: describeError(err) }, 'could not tell a person their turn was cut off'),
          );
      }
    }
  }
}
