/**
 * The rounds that send the person to a link before a tool call can go on: a sign-in (the OAuth
 * callback resumes the turn) and a -32042 link step (the person says when it's done, and the
 * call runs again). Neither calls the tool itself — each shows a link and pauses the turn —
 * so they live apart from the call's own way through its outcomes (`calls.ts`).
 */
import type { UrlElicitationRequiredError } from '@modelcontextprotocol/client';
import type { SignInService } from '../auth/signin.js';
import type { ServerConfig } from '../config.js';
import type { Presenter } from '../interactions/presenter.js';
import { safeUrl } from '../text.js';
import type { StepResult, TurnState, TurnStore } from '../turns/state.js';

/** What a link round needs of the tool calls' options (`ToolCallsOptions`). */
export interface LinkRoundDeps {
  presenter: Presenter;
  turns: TurnStore;
  signIn?: SignInService | undefined;
}

/** Posts the person's sign-in link (or re-sends the open one) and pauses the turn for it. */
export async function askSignIn(
  o: LinkRoundDeps,
  turn: TurnState,
  server: ServerConfig,
): Promise<StepResult> {
  const signIn = o.signIn as SignInService;
  const callKey = `${turn.id}:${turn.queue[0]?.id ?? ''}`;
  const asked = await signIn.requestSignIn(turn.conversation, server.name, route(turn), callKey);
  if (!asked.ok) {
    await o.presenter.say(turn.conversation, `⚠️ ${asked.message}`);
    return { done: true, content: `Error: ${asked.message}` };
  }
  const { view } = asked;
  o.presenter.hold(
    {
      id: view.id,
      conversation: turn.conversation,
      kind: 'link',
      origin: view.origin,
      createdAt: 0,
      expiresAt: view.expiresAt,
      route: route(turn),
      link: { url: view.url, host: view.host, message: view.message, purpose: view.purpose },
    },
    { kind: 'link', view },
  );
  return o.turns.pause(turn, { type: 'signin', interactionId: view.id });
}

/**
 * Shows the links of a -32042 error (a link step the server needs first) in one message and pauses
 * the turn; the person's "done" runs the call again.
 */
export async function askUrlRetry(
  o: LinkRoundDeps,
  turn: TurnState,
  server: ServerConfig,
  tool: string,
  err: UrlElicitationRequiredError,
): Promise<StepResult> {
  const links = err.elicitations.filter((e) => safeUrl(e.url));
  if (links.length === 0)
    return { done: true, content: `Error: ${tool} needs a link step, but gave no valid link.` };
  // Several links go into one message; "done" on it retries the call once.
  const first = links[0] as (typeof links)[number];
  const shown = await o.presenter.show(turn.conversation, `${server.name} · ${tool}`, route(turn), {
    kind: 'link',
    url: first.url,
    message: links.map((l) => `${l.message}\n${l.url}`).join('\n\n'),
    purpose: 'retry',
  });
  if (!shown.ok) return { done: true, content: `Error: ${shown.reason}` };
  return o.turns.pause(turn, { type: 'url_retry', interactionId: shown.record.id });
}

/** Where the person's answer goes: the turn, resumed by whichever process receives it. */
export function route(turn: TurnState) {
  return { type: 'turn', turnId: turn.id } as const;
}
