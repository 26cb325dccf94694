/**
 * Conversation history per session, bounded by a number of turns and a rough token budget, kept
 * in the store with a TTL. Only the person's words and Parley's final answers are kept: tool
 * traffic stays inside the turn that produced it, which keeps the budget for what matters.
 */
import { type Conversation, sessionKey } from './conversation.js';
import type { LlmMessage } from './llm.js';
import { getJson, type Store, setJson } from './store/index.js';

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

  async history(conversation: Conversation): Promise<HistoryEntry[]> {
    return (await getJson<HistoryEntry[]>(this.store, this.key(conversation))) ?? [];
  }

  async append(conversation: Conversation, entries: HistoryEntry[]): Promise<void> {
    const all = [...(await this.history(conversation)), ...entries];
    await setJson(this.store, this.key(conversation), this.bound(all), this.options.ttlMs);
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
    return `session:${sessionKey(c)}`;
  }
}
