/**
 * The turn runner: a person's turn from message to answer. In an LLM turn, the model is asked,
 * its tool calls run one at a time (each may pause the turn for a person), their results go back
 * to the model, until it answers or the step budget runs out. A direct `/call` is a turn of one
 * call. A paused turn resumes here, in whichever process receives the answer.
 */
import { randomBytes } from 'node:crypto';
import type { Conversation } from '../conversation.js';
import { ParleyError } from '../errors.js';
import type { ServerFeatures } from '../features.js';
import type { FeedbackStore } from '../feedback.js';
import type { Resolution } from '../interactions/delivery.js';
import type { Presenter } from '../interactions/presenter.js';
import type { Llm, LlmMessage } from '../llm.js';
import { metrics } from '../observability/metrics.js';
import type { SessionStore } from '../sessions.js';
import type { ToolCalls } from '../tools/calls.js';
import type { ToolCatalog } from '../tools/catalog.js';
import type { PlannedCall, StepResult, TurnState } from './state.js';
import { AnswerStream } from './stream.js';

export interface TurnRunnerOptions {
  llm: Llm | undefined;
  catalog: ToolCatalog;
  calls: ToolCalls;
  presenter: Presenter;
  sessions: SessionStore;
  systemPrompt: string;
  maxSteps: number;
  features?: ServerFeatures;
  /** Most tool calls run from one model reply; the rest are answered with {@link skippedCallNote}. */
  maxToolCalls?: number;
  /** Told the tokens each model reply used (its `usage`), for the person's token budget. */
  onUsage?: (conversation: Conversation, tokens: number) => void;
  /** Where final answers are noted, so the 👍/👎 under them count (see feedback.ts). */
  feedback?: FeedbackStore;
}

export const DEFAULT_MAX_TOOL_CALLS = 16;

/** What the model reads as the result of a call past the cap, so it knows the call never ran. */
export function skippedCallNote(max: number): string {
  return `Not run: Parley runs at most ${max} tool calls from one reply, and this call was past that. Ask for it again in a later reply if it is still needed.`;
}

export class TurnRunner {
  constructor(private readonly o: TurnRunnerOptions) {}

  /** Starts an LLM turn for a person's message. */
  async converse(conversation: Conversation, text: string): Promise<void> {
    await this.o.presenter.post(conversation, { kind: 'progress', text: 'Working on it…' });
    await this.startLlmTurn(conversation, [{ role: 'user', content: text }], text);
  }

  /** Runs a server's prompt (its messages, `/prompt`) through the model as the person's turn. */
  async prompt(conversation: Conversation, messages: LlmMessage[], text: string): Promise<void> {
    await this.o.presenter.post(conversation, { kind: 'progress', text: 'Working on it…' });
    await this.startLlmTurn(conversation, messages, text);
  }

  private async startLlmTurn(
    conversation: Conversation,
    messages: LlmMessage[],
    text: string,
  ): Promise<void> {
    const history = await this.o.sessions.history(conversation);
    const instructions = (await this.o.features?.instructions(conversation)) ?? '';
    await this.run({
      id: newTurnId(),
      conversation,
      mode: 'llm',
      messages: [
        {
          role: 'system',
          content: instructions ? `${this.o.systemPrompt}\n\n${instructions}` : this.o.systemPrompt,
        },
        ...this.o.sessions.toMessages(history),
        ...messages,
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
    await this.completeStep(turn, call, step);
    await this.run(turn);
  }

  private async run(turn: TurnState): Promise<void> {
    for (;;) {
      while (turn.queue.length > 0) {
        const call = turn.queue[0] as PlannedCall;
        const step = await this.o.calls.execute(turn, call);
        if (!step.done) return; // paused: state is in the store
        await this.completeStep(turn, call, step);
      }
      if (turn.images?.length) {
        // Chat Completions takes images only in user messages, after the step's tool messages.
        turn.messages.push({
          role: 'user',
          content: [
            { type: 'text', text: 'The images the tools returned:' },
            ...turn.images.map((i) => ({
              type: 'image_url' as const,
              image_url: { url: `data:${i.mimeType};base64,${i.data}` },
            })),
          ],
        });
        turn.images = undefined;
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
      const reader = await this.o.features?.readResourceTool(turn.conversation);
      if (reader) tools.push(reader);
      // Surfaces that can show an answer as it is written get it streamed; a step's stream ends
      // before its tool calls run, so their status and forms come after the text that led to them.
      const { presenter } = this.o;
      const stream = presenter.streams(turn.conversation)
        ? new AnswerStream(presenter, turn.conversation, `${turn.id}.${turn.steps}`)
        : undefined;
      let reply: Awaited<ReturnType<typeof llm.complete>>;
      try {
        reply = await llm.complete(
          { messages: turn.messages, tools },
          stream && { onText: (delta) => stream.push(delta) },
        );
      } catch (err) {
        if (stream?.started) await stream.stop();
        throw err;
      }
      turn.steps += 1;
      if (reply.usage) this.o.onUsage?.(turn.conversation, reply.usage.prompt + reply.usage.completion);
      if (reply.toolCalls.length > 0) {
        const said = reply.content?.trim();
        if (stream?.started && !(await stream.stop(reply.content ?? stream.text)) && said)
          await presenter.say(turn.conversation, said);
        // A reply may ask for any number of calls; past the cap each is answered, unrun, with a
        // note (every tool_call_id needs a tool message), so the model can ask again knowingly.
        const max = this.o.maxToolCalls ?? DEFAULT_MAX_TOOL_CALLS;
        turn.messages.push({ role: 'assistant', content: reply.content, tool_calls: reply.toolCalls });
        for (const extra of reply.toolCalls.slice(max))
          turn.messages.push({ role: 'tool', tool_call_id: extra.id, content: skippedCallNote(max) });
        turn.queue = reply.toolCalls.slice(0, max);
        continue;
      }
      await this.finish(turn, reply.content?.trim() || 'Done.', stream, true);
      return;
    }
  }

  /** A call finished: a direct command shows its result; in an LLM turn the model gets it. */
  private async completeStep(
    turn: TurnState,
    call: PlannedCall,
    step: Extract<StepResult, { done: true }>,
  ): Promise<void> {
    turn.queue.shift();
    const { content, files, images } = step;
    if (turn.mode === 'direct')
      await this.o.presenter.post(turn.conversation, {
        kind: 'text',
        text: content,
        ...(files?.length && { files }),
      });
    else {
      turn.messages.push({ role: 'tool', tool_call_id: call.id, content });
      if (images?.length) turn.images = [...(turn.images ?? []), ...images];
    }
  }

  /** Ends an LLM turn with `text`; `rated`: it is the model's answer, which people may rate. */
  private async finish(turn: TurnState, text: string, stream?: AnswerStream, rated = false): Promise<void> {
    metrics.turn(turn.conversation.platform, 'answered');
    // Noted while the answer goes out (a store write is far quicker than anyone's click), so the
    // answer isn't held back for it.
    const noted = rated && this.o.feedback ? this.o.feedback.answered(turn.conversation, turn.id) : undefined;
    const answerId = noted ? turn.id : undefined;
    // A stream the surface failed to finish still ends with the answer, said plainly.
    if (!stream?.started || !(await stream.stop(text, answerId)))
      await this.o.presenter.post(turn.conversation, { kind: 'text', text, ...(answerId && { answerId }) });
    // Not noted, its 👍/👎 answer "too old to rate": a lost vote, never a wrong one.
    await noted?.catch(() => undefined);
    await this.o.sessions.append(turn.conversation, [
      { role: 'user', content: turn.userText },
      { role: 'assistant', content: text },
    ]);
  }
}

function newTurnId(): string {
  return randomBytes(12).toString('base64url');
}
