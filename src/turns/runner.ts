/**
 * The turn runner: a person's turn from message to answer. In an LLM turn, the model is asked,
 * its tool calls run one at a time (each may pause the turn for a person), their results go back
 * to the model, until it answers or the step budget runs out. A direct `/call` is a turn of one
 * call. A paused turn resumes here, in whichever process receives the answer.
 */
import { randomBytes } from 'node:crypto';
import type { Conversation } from '../conversation.js';
import { ParleyError } from '../errors.js';
import type { Resolution } from '../interactions/delivery.js';
import type { Presenter } from '../interactions/presenter.js';
import type { Llm } from '../llm.js';
import { metrics } from '../observability/metrics.js';
import type { SessionStore } from '../sessions.js';
import type { ToolCalls } from '../tools/calls.js';
import type { ToolCatalog } from '../tools/catalog.js';
import type { PlannedCall, TurnState } from './state.js';

export interface TurnRunnerOptions {
  llm: Llm | undefined;
  catalog: ToolCatalog;
  calls: ToolCalls;
  presenter: Presenter;
  sessions: SessionStore;
  systemPrompt: string;
  maxSteps: number;
}

export class TurnRunner {
  constructor(private readonly o: TurnRunnerOptions) {}

  /** Starts an LLM turn for a person's message. */
  async converse(conversation: Conversation, text: string): Promise<void> {
    await this.o.presenter.post(conversation, { kind: 'progress', text: 'Working on it…' });
    const history = await this.o.sessions.history(conversation);
    await this.run({
      id: newTurnId(),
      conversation,
      mode: 'llm',
      messages: [
        { role: 'system', content: this.o.systemPrompt },
        ...this.o.sessions.toMessages(history),
        { role: 'user', content: text },
      ],
      queue: [],
      confirmed: [],
      steps: 0,
      userText: text,
    });
  }

  /** Runs one tool call the person named (`/call`). */
  async direct(conversation: Conversation, name: string, argsJson: string, text: string): Promise<void> {
    await this.run({
      id: newTurnId(),
      conversation,
      mode: 'direct',
      messages: [],
      queue: [{ id: 'direct', name, arguments: argsJson }],
      confirmed: [],
      steps: 0,
      userText: text,
    });
  }

  /** Resumes a paused turn with the answer it waited for. */
  async resume(turn: TurnState, answer: Resolution): Promise<void> {
    const wait = turn.wait;
    turn.wait = undefined;
    const call = turn.queue[0];
    if (!wait || !call) return this.run(turn);
    const step = await this.o.calls.resume(turn, call, wait, answer);
    if (!step.done) return;
    await this.completeStep(turn, call, step.content);
    await this.run(turn);
  }

  private async run(turn: TurnState): Promise<void> {
    for (;;) {
      while (turn.queue.length > 0) {
        const call = turn.queue[0] as PlannedCall;
        const step = await this.o.calls.execute(turn, call);
        if (!step.done) return; // paused: state is in the store
        await this.completeStep(turn, call, step.content);
      }
      if (turn.mode === 'direct') return metrics.turn(turn.conversation.platform, 'answered');
      if (turn.steps >= this.o.maxSteps) {
        await this.finish(
          turn,
          `I stopped after ${turn.steps} tool steps without a final answer. Try a narrower request.`,
        );
        return;
      }
      const llm = this.o.llm;
      if (!llm) throw new ParleyError('llm_unavailable', 'No language model is configured.');
      const { tools, unavailable } = await this.o.catalog.forModel(turn.conversation);
      // Once per turn (its first model step): which server the answer goes without.
      if (unavailable && turn.steps === 0) await this.o.presenter.say(turn.conversation, unavailable);
      const reply = await llm.complete({ messages: turn.messages, tools });
      turn.steps += 1;
      if (reply.toolCalls.length > 0) {
        turn.messages.push({ role: 'assistant', content: reply.content, tool_calls: reply.toolCalls });
        turn.queue = [...reply.toolCalls];
        continue;
      }
      await this.finish(turn, reply.content?.trim() || 'Done.');
      return;
    }
  }

  /** A call finished: a direct command shows its result; in an LLM turn the model gets it. */
  private async completeStep(turn: TurnState, call: PlannedCall, content: string): Promise<void> {
    turn.queue.shift();
    if (turn.mode === 'direct') await this.o.presenter.say(turn.conversation, content);
    else turn.messages.push({ role: 'tool', tool_call_id: call.id, content });
  }

  private async finish(turn: TurnState, text: string): Promise<void> {
    metrics.turn(turn.conversation.platform, 'answered');
    await this.o.presenter.say(turn.conversation, text);
    await this.o.sessions.append(turn.conversation, [
      { role: 'user', content: turn.userText },
      { role: 'assistant', content: text },
    ]);
  }
}

function newTurnId(): string {
  return randomBytes(12).toString('base64url');
}
