/**
 * Conversation history per session, bounded by a number of turns and a rough token budget, kept
 * in the store with a TTL. Only the person's words and Parley's final answers are kept: tool
 * traffic stays inside the turn that produced it, which keeps the budget for what matters.
 *
 * History is a store list: a turn's entries go in with one atomic append (bounded to the turn
 * limit there), so two turns finishing at once in one conversation both keep their entries.
 * The token budget is applied when history is read.
 */
import { type Conversation, sessionKey } from './conversation.js';
import type { LlmMessage } from './llm.js';
import type { Store } from './store/index.js';

export type HistoryEntry = { role: 'user' | 'assistant'; content: string };

export interface SessionStoreOptions {
  maxTurns: number;
  tokenBudget: number;
  ttlMs: number;
}

/** About four characters per token: close enough to keep a budget, with no tokenizer to ship. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

export class SessionStore {
  constructor(
    private readonly store: Store,
    private readonly options: SessionStoreOptions,
  ) {}

  /** The conversation's history, oldest first, within the turn limit and the token budget. */
  async history(conversation: Conversation): Promise<HistoryEntry[]> {
    const raw = await this.store.range(this.key(conversation));
    return this.bound(raw.flatMap((item) => parseEntry(item) ?? []));
  }

  /** Adds one turn's entries in one atomic step and renews the session's TTL. */
  async append(conversation: Conversation, entries: HistoryEntry[]): Promise<void> {
    await this.store.append(
      this.key(conversation),
      entries.map((e) => JSON.stringify({ role: e.role, content: e.content })),
      this.options.maxTurns * 2,
      this.options.ttlMs,
    );
  }

  async reset(conversation: Conversation): Promise<void> {
    await this.store.delete(this.key(conversation));
  }

  /** Keeps the newest entries within both limits (a turn = one user + one assistant entry). */
  bound(entries: HistoryEntry[]): HistoryEntry[] {
    let kept = entries.slice(-this.options.maxTurns * 2);
    let tokens = kept.reduce((n, e) => n + estimateTokens(e.content), 0);
    while (kept.length > 0 && tokens > this.options.tokenBudget) {
      const first = kept[0];
      tokens -= first ? estimateTokens(first.content) : 0;
      kept = kept.slice(1);
    }
    // Never start with an orphaned answer.
    while (kept[0]?.role === 'assistant') kept = kept.slice(1);
    return kept;
  }

  toMessages(entries: HistoryEntry[]): LlmMessage[] {
    return entries.map((e) => ({ role: e.role, content: e.content }));
  }

  private key(c: Conversation): string {
    // A list, so not the `session:` key older versions kept a JSON string under (it expires alone).
    return `history:${sessionKey(c)}`;
  }
}

/** One stored entry; a corrupt one is skipped rather than failing the turn. */
function parseEntry(raw: string): HistoryEntry | undefined {
  try {
    const e = JSON.parse(raw) as Partial<HistoryEntry>;
    if ((e.role === 'user' || e.role === 'assistant') && typeof e.content === 'string') {
      return { role: e.role, content: e.content };
    }
  } catch {
    // falls through
  }
  return undefined;
}
