/**
 * Tool calls: one call's way from a name to a result, through everything a tool can need on the
 * way. An outcome becomes the next step — a result; a V1 form payload (show the form, call again
 * with the answers); an MRTR round (answer or show each input request, call again); a -32042
 * error (show its links, retry when done); a sign-in (pause until the OAuth callback); or a
 * confirmation first, for destructive tools.
 */
import type { Tool } from '@modelcontextprotocol/client';
import { UrlElicitationRequiredError } from '@modelcontextprotocol/client';
import { isSignInRequired } from '../auth/sign-in-errors.js';
import type { SignInService } from '../auth/signin.js';
import type { ServerConfig } from '../config.js';
import { identityKey } from '../conversation.js';
import { describeError, isParleyError } from '../errors.js';
import { READ_RESOURCE_TOOL, type ServerFeatures } from '../features.js';
import type { Resolution } from '../interactions/delivery.js';
import { fieldRecord } from '../interactions/form.js';
import type { PendingInteraction } from '../interactions/pending.js';
import type { Presenter } from '../interactions/presenter.js';
import type { InputRequests } from '../interactions/requests.js';
import { findV1Payload, v1PayloadToForm } from '../interactions/v1.js';
import type { Logger } from '../logger.js';
import type { CallContext, CallOutcome, InputRequestMap } from '../mcp/connection.js';
import { needsBackChannel } from '../mcp/failures.js';
import type { McpPool } from '../mcp/pool.js';
import { truncate } from '../text.js';
import {
  ended,
  type PlannedCall,
  type StepResult,
  type TurnState,
  type TurnStore,
  toInputResponse,
  type Wait,
} from '../turns/state.js';
import { parseArguments } from './arguments.js';
import type { ToolCatalog } from './catalog.js';
import { personReason } from './failure-reason.js';
import { askSignIn, askUrlRetry, route } from './link-rounds.js';
import { ProgressReporter } from './progress.js';
import { viewResult } from './results.js';

export interface ToolCallsOptions {
  pool: McpPool;
  catalog: ToolCatalog;
  presenter: Presenter;
  requests: InputRequests;
  turns: TurnStore;
  logger: Logger;
  signIn?: SignInService | undefined;
  /** Told what a turn is doing (a tool call starting), so a cut-off turn can be explained. */
  onActivity?: (turn: TurnState, what: string) => void;
  /** The model reads images (LLM_VISION): image results reach it as images. */
  vision?: boolean;
  /** Prompts and resources: the model's `read_resource` tool. */
  features?: ServerFeatures;
  /**
   * A stored round's record is about to be posted: LiveInteractions.expireStored closes it when
   * it lapses. Returns what cancels that (the post failed).
   */
  expireLater?: (record: PendingInteraction, ctx: CallContext) => () => void;
}

type Target = { server: ServerConfig; tool: Tool; args: Record<string, unknown> };

/**
 * Most V1 forms one call may show. A V1 tool asks again when it wants more (a wizard), but one
 * that returns its form whatever the answers would ask forever.
 */
export const MAX_V1_FORMS_PER_CALL = 3;

export class ToolCalls {
  constructor(private readonly o: ToolCallsOptions) {}

  /** Runs the call at the head of the turn's queue from the top: resolve, confirm, call. */
  async execute(turn: TurnState, call: PlannedCall): Promise<StepResult> {
    if (turn.mode === 'llm' && call.name === READ_RESOURCE_TOOL && this.o.features) {
      const view = await this.o.features.readResource(
        turn.conversation,
        call.arguments,
        this.o.vision === true,
      );
      if (view.files.length)
        await this.o.presenter.post(turn.conversation, {
          kind: 'text',
          text: '📎 The resource:',
          files: view.files,
        });
      return { done: true, content: view.forModel, images: view.images };
    }
    const target = await this.resolve(turn, call);
    if ('step' in target) return target.step;
    const { server, tool, args } = target;
    if (!turn.confirmed.includes(call.id) && needsConfirmation(server, tool)) {
      const shown = await this.o.presenter.show(
        turn.conversation,
        `${server.name} · ${tool.name}`,
        route(turn),
        {
          kind: 'confirm',
          title: `Run ${tool.title ?? tool.name}?`,
          message: `**${server.title ?? server.name}** wants to run **${tool.name}**${tool.annotations?.destructiveHint ? ', which can change or delete data' : ''}.\nArguments: \`${truncate(JSON.stringify(args), 500)}\``,
        },
      );
      if (!shown.ok) return { done: true, content: `Error: ${shown.reason}` };
      return this.o.turns.pause(turn, { type: 'confirm', interactionId: shown.record.id });
    }
    await this.running(turn, server, tool.name);
    return this.invoke(turn, server, tool, args);
  }

  /** Continues the head call of a paused turn with the person's answer. */
  async resume(turn: TurnState, call: PlannedCall, wait: Wait, answer: Resolution): Promise<StepResult> {
    // Checked again: the allow/deny lists may differ in the process that resumes.
    const target = await this.resolve(turn, call);
    if ('step' in target) return target.step;
    const { server, tool, args } = target;
    const accepted = answer.action === 'accept';
    switch (wait.type) {
      case 'confirm':
        if (!accepted)
          return ended(
            turn,
            `Okay — I didn’t run ${tool.name}.`,
            'The person declined; the tool was not run.',
          );
        turn.confirmed.push(call.id);
        await this.running(turn, server, tool.name);
        return this.invoke(turn, server, tool, args);
      case 'v1':
        if (accepted) return this.invoke(turn, server, tool, { ...args, ...answer.content });
        return ended(
          turn,
          `Okay — ${tool.name} was not completed.`,
          'The person declined to fill in the form; the tool was not completed.',
        );
      case 'url_retry':
        if (accepted) return this.invoke(turn, server, tool, args);
        return ended(
          turn,
          `Okay — ${tool.name} was not run, since the link step wasn’t completed.`,
          'The person did not complete the required link step.',
        );
      case 'signin':
        // Signed in: run the call from the top (tool list, confirmation) with the new tokens.
        if (accepted) return this.execute(turn, call);
        return ended(
          turn,
          `Okay — ${tool.name} was not run, since you didn’t sign in to ${server.title ?? server.name}.`,
          `The person did not sign in to ${server.name}, so ${tool.name} was not run.`,
        );
      case 'mrtr': {
        // Keys are the server's: a record without a prototype keeps "__proto__" an ordinary key.
        const answers = Object.assign(fieldRecord<unknown>(), wait.answers);
        answers[wait.key] = toInputResponse(answer);
        return this.inputRound(turn, server, tool, args, wait.inputRequests, wait.requestState, answers);
      }
    }
  }

  private async resolve(turn: TurnState, call: PlannedCall): Promise<Target | { step: StepResult }> {
    const via = call.ref ?? (turn.mode === 'direct' ? 'person' : 'model');
    const resolved = await this.o.catalog.resolve(turn.conversation, call.name, via);
    if (!resolved.ok) {
      if ('signIn' in resolved) {
        if (this.o.signIn) return { step: await askSignIn(this.o, turn, resolved.signIn) };
        return {
          step: ended(
            turn,
            `⚠️ ${resolved.signIn.name} needs a sign-in, which isn’t set up here.`,
            'Error: the server needs a sign-in.',
          ),
        };
      }
      return { step: ended(turn, resolved.forPerson, resolved.forModel) };
    }
    call.ref = resolved.ref;
    const parsed = parseArguments(call.name, call.arguments);
    if (!parsed.ok) return { step: ended(turn, parsed.sentence, `Error: ${parsed.sentence}`) };
    return { server: resolved.server, tool: resolved.tool, args: parsed.args };
  }

  private running(turn: TurnState, server: ServerConfig, tool: string): Promise<boolean> {
    this.o.onActivity?.(turn, `${server.name} · ${tool}`);
    return this.o.presenter.post(turn.conversation, {
      kind: 'progress',
      text: `Running ${server.name} · ${tool}…`,
    });
  }

  /** Calls the tool (possibly resuming an MRTR round) and turns every outcome into a step. */
  private async invoke(
    turn: TurnState,
    server: ServerConfig,
    toolDef: Tool,
    args: Record<string, unknown>,
    resume?: { inputResponses: Record<string, unknown>; requestState?: string | undefined },
    attempt = 1,
  ): Promise<StepResult> {
    const identity = identityKey(turn.conversation);
    const tool = toolDef.name;
    const progress = new ProgressReporter(this.o.presenter, turn.conversation, `${server.name} · ${tool}`);
    const ctx: CallContext = {
      conversation: turn.conversation,
      server: server.name,
      tool,
      onProgress: progress.update,
    };
    // Harmless to run twice, by the tool's own declaration (MCP tool annotations).
    const repeatable =
      toolDef.annotations?.readOnlyHint === true || toolDef.annotations?.idempotentHint === true;
    let outcome: CallOutcome;
    let era: string | undefined;
    try {
      outcome = await this.o.pool.use(
        identity,
        server.name,
        (conn) => {
          era = conn.era;
          return conn.callTool(ctx, tool, args, resume);
        },
        {
          repeatable,
          what: tool,
        },
      );
    } catch (err) {
      await progress.end();
      if (era === 'modern' && needsBackChannel(err))
        return this.backChannel(turn, server, toolDef, args, repeatable, attempt);
      if (this.o.signIn && isSignInRequired(err)) return askSignIn(this.o, turn, server);
      if (err instanceof UrlElicitationRequiredError) return askUrlRetry(this.o, turn, server, tool, err);
      if (isParleyError(err) && err.code === 'outcome_unknown')
        return ended(turn, `⚠️ ${err.userMessage}`, `Error: ${err.userMessage}`);
      if (isParleyError(err)) throw err;
      this.o.logger.warn({ server: server.name, tool, err: describeError(err) }, 'tool call failed');
      const reason = personReason(err);
      return ended(
        turn,
        `⚠️ ${server.name} · ${tool} failed${reason}`,
        `Error: ${server.name} · ${tool} failed${reason}`,
      );
    }
    await progress.end();
    if (era === 'modern' && outcome.kind === 'result' && needsBackChannel(outcome.result))
      return this.backChannel(turn, server, toolDef, args, repeatable, attempt);
    if (outcome.kind === 'input_required')
      return this.inputRound(
        turn,
        server,
        toolDef,
        args,
        outcome.inputRequests,
        outcome.requestState,
        fieldRecord<unknown>(),
      );
    const v1 = findV1Payload(outcome.result.content);
    if (v1 && 'error' in v1) {
      await this.o.presenter.say(turn.conversation, `⚠️ ${server.name} · ${tool}: ${v1.error}.`);
      return { done: true, content: `Error: ${v1.error}` };
    }
    if (v1) {
      const form = v1PayloadToForm(v1.payload, tool);
      if ('error' in form) return { done: true, content: `Error: ${form.error}` };
      const origin = `${server.name} · ${tool}`;
      const callId = turn.queue[0]?.id ?? '';
      const shownBefore = turn.v1Forms?.[callId] ?? 0;
      if (shownBefore >= MAX_V1_FORMS_PER_CALL) {
        const sentence = `${origin} keeps asking for its form again after getting the answers, so I stopped after ${MAX_V1_FORMS_PER_CALL} tries. The tool may not accept these answers — check its documentation, or try different ones.`;
        return ended(turn, `⚠️ ${sentence}`, `Error: ${sentence}`);
      }
      turn.v1Forms = { ...turn.v1Forms, [callId]: shownBefore + 1 };
      const shown = await this.o.presenter.show(turn.conversation, origin, route(turn), {
        kind: 'form',
        form,
      });
      if (!shown.ok) {
        const sentence = `${origin} asked for a form I can’t show here (${shown.reason}).`;
        return ended(turn, `⚠️ ${sentence}`, `Error: ${sentence}`);
      }
      return this.o.turns.pause(turn, { type: 'v1', interactionId: shown.record.id });
    }
    const origin = `${server.name} · ${tool}`;
    const view = viewResult(outcome.result, { vision: this.o.vision === true, origin });
    if (turn.mode === 'direct') return { done: true, content: view.forPerson, files: view.files };
    // The model can't pass files on: the person gets them now, the model reads what they were.
    if (view.files.length > 0)
      await this.o.presenter.post(turn.conversation, {
        kind: 'text',
        text: `📎 ${origin} returned ${view.files.length === 1 ? 'a file' : `${view.files.length} files`}:`,
        files: view.files,
      });
    return { done: true, content: view.forModel, images: view.images };
  }

  /**
   * The server needed a back-channel the 2026-07-28 session doesn't have (it elicits or samples
   * in the middle of a call, 2025-11-25 style): from now on it gets 2025-11-25 sessions. The
   * call is run again at once only when that is harmless — the tool declares itself read-only or
   * idempotent — since it may have done part of its work before it asked; otherwise the person
   * is asked to try again.
   */
  private async backChannel(
    turn: TurnState,
    server: ServerConfig,
    toolDef: Tool,
    args: Record<string, unknown>,
    repeatable: boolean,
    attempt: number,
  ): Promise<StepResult> {
    const identity = identityKey(turn.conversation);
    await this.o.pool.preferLegacy(identity, server.name);
    if (repeatable && attempt === 1) return this.invoke(turn, server, toolDef, args, undefined, 2);
    const name = server.title ?? server.name;
    const sentence = `${name} · ${toolDef.name} needed to ask something in a way this connection didn’t allow. I’ve switched ${name} to a connection that does — please try again (it may have done part of its work already).`;
    return ended(turn, `⚠️ ${sentence}`, `Error: ${sentence}`);
  }

  /**
   * Works through an MRTR round with the input-request dispatcher: what needs no person is
   * answered at once; the rest is shown one at a time. With every key answered, the call is retried.
   */
  private async inputRound(
    turn: TurnState,
    server: ServerConfig,
    toolDef: Tool,
    args: Record<string, unknown>,
    inputRequests: InputRequestMap,
    requestState: string | undefined,
    answers: Record<string, unknown>,
  ): Promise<StepResult> {
    const ctx: CallContext = { conversation: turn.conversation, server: server.name, tool: toolDef.name };
    for (const [key, request] of Object.entries(inputRequests)) {
      if (Object.hasOwn(answers, key)) continue;
      const dispatched = await this.o.requests.dispatch(ctx, request, route(turn));
      if (dispatched.kind === 'answered') answers[key] = dispatched.result;
      else if (dispatched.kind === 'failed')
        answers[key] = {
          role: 'assistant',
          model: 'none',
          content: { type: 'text', text: dispatched.message },
        };
      else {
        // Scheduled before the pause shows the form, so it is never visible without its timer.
        const forget = this.o.expireLater?.(dispatched.record, ctx);
        try {
          return await this.o.turns.pause(turn, {
            type: 'mrtr',
            interactionId: dispatched.record.id,
            key,
            // The asked request is its pending record's now; only those not asked yet are kept.
            inputRequests: notAsked(inputRequests, answers, key),
            ...(requestState !== undefined && { requestState }),
            answers,
          });
        } catch (err) {
          forget?.();
          throw err;
        }
      }
    }
    return this.invoke(turn, server, toolDef, args, { inputResponses: answers, requestState });
  }
}

/** The requests of a round neither answered nor being asked (`asking`). */
function notAsked(
  requests: InputRequestMap,
  answers: Record<string, unknown>,
  asking: string,
): InputRequestMap {
  const rest: InputRequestMap = {};
  for (const [key, request] of Object.entries(requests))
    if (key !== asking && !Object.hasOwn(answers, key)) rest[key] = request;
  return rest;
}

function needsConfirmation(server: ServerConfig, tool: Tool): boolean {
  if (server.confirm === 'always') return true;
  if (server.confirm === 'never') return false;
  return tool.annotations?.destructiveHint === true;
}
