/**
 * A turn's state: everything needed to resume it in any process after it paused for a person
 * (a form, a confirmation, a link, a sign-in). Paused turns live in the store, taken once.
 */
import type { Conversation } from '../conversation.js';
import type { Resolution } from '../interactions/delivery.js';
import { keyFor } from '../interactions/pending.js';
import type { Presenter } from '../interactions/presenter.js';
import { holdKey } from '../interactions/presenter.js';
import type { LlmMessage, LlmToolCall } from '../llm.js';
import type { InputRequestMap } from '../mcp/connection.js';
import { type Store, setJson } from '../store/index.js';
import type { OutboundFile } from '../surface.js';
import type { ToolRef } from '../tools/names.js';
import type { ModelImage } from '../tools/results.js';

/** Why a paused turn is waiting. */
export type Wait =
  | { type: 'v1' | 'confirm' | 'url_retry' | 'signin'; interactionId: string }
  | {
      type: 'mrtr';
      interactionId: string;
      /** The input request the person is asked (its form is the interaction's record). */
      key: string;
      /** The round's requests not asked yet (none answered, not `key`). */
      inputRequests: InputRequestMap;
      requestState?: string;
      answers: Record<string, unknown>;
    };

/** A tool call of the current step; `ref` is set once the call's name was resolved. */
export type PlannedCall = LlmToolCall & { ref?: ToolRef };

export interface TurnState {
  id: string;
  conversation: Conversation;
  mode: 'llm' | 'direct';
  messages: LlmMessage[];
  /** Tool calls of the current step still to run; the head is the one in progress. */
  queue: PlannedCall[];
  /** Calls already confirmed by the person (ids), so a resume doesn't ask again. */
  confirmed: string[];
  steps: number;
  /** V1 forms shown per call id: a tool that keeps returning its form is stopped (see ToolCalls). */
  v1Forms?: Record<string, number>;
  userText: string;
  wait?: Wait;
  /** Images tool results of this step returned, shown to the model after the step's tool messages. */
  images?: ModelImage[];
}

/** A call's outcome: its text (for the person or the model), or paused (state is in the store). */
export type StepResult =
  | { done: true; content: string; files?: OutboundFile[]; images?: ModelImage[] }
  | { done: false };

/**
 * A call that ended without running: a direct command shows the person a sentence addressed to
 * them; in an LLM turn the model gets the fact and words the answer itself.
 */
export function ended(turn: TurnState, forPerson: string, forModel: string): StepResult {
  return { done: true, content: turn.mode === 'direct' ? forPerson : forModel };
}

/** The MCP result an answer becomes (an `ElicitResult`, or the MRTR input response). */
export function toInputResponse(r: Resolution): Record<string, unknown> {
  return r.action === 'accept'
    ? { action: 'accept', ...(r.content && { content: r.content }) }
    : { action: r.action };
}

export class TurnStore {
  constructor(
    private readonly store: Store,
    private readonly presenter: Presenter,
    private readonly ttlMs: number,
  ) {}

  /**
   * Stores the turn with its wait (and the records of what it shows), then shows the views held
   * for it: an answer can only arrive once the turn it resumes exists.
   */
  async pause(turn: TurnState, wait: Wait): Promise<StepResult> {
    turn.wait = wait;
    const key = holdKey({ type: 'turn', turnId: turn.id });
    try {
      // Keyed by the interaction it waits for: the answer and the turn are taken together. The
      // interaction's record goes in the same round trip (the client pipelines them).
      await Promise.all([
        this.presenter.save(key),
        setJson(this.store, keyFor('turn', wait.interactionId), turn, this.ttlMs + 60_000),
      ]);
    } catch (err) {
      this.presenter.drop(key);
      throw err;
    }
    await this.presenter.release(key);
    return { done: false };
  }
}
