/**
 * The console adapter: a terminal chat and the embedded default. It only translates — lines in,
 * neutral messages out — and asks forms field by field. It reads one line per input, so it works
 * the same typed by a person or piped from a script.
 */
import type { Readable, Writable } from 'node:stream';
import { followSignInLink } from '../../src/auth/headless.js';
import type { Actor, Conversation } from '../../src/conversation.js';
import type { Answer, AnswerReply, ParleyInbound } from '../../src/inbound.js';
import { fieldRecord } from '../../src/interactions/form.js';
import type { ChatSurface, ConfirmView, FormView, LinkView, OutboundMessage } from '../../src/surface.js';
import { unlinked } from '../../src/text.js';
import { answerValue, fieldHelp, fieldPrompt } from './fields.js';
import { ConsoleFiles } from './files.js';
import { CLOSED, type Filling, LineInput } from './line-input.js';
import { renderMarkdown } from './markdown.js';

/** The core as the console needs it: the inbound port, and a way to wait for a turn to end. */
export type ConsoleCore = ParleyInbound & { whenIdle(): Promise<void> };

export interface ConsoleAdapterConfig {
  agent: ConsoleCore;
  input: Readable;
  output: Writable;
  user?: string;
  /** Show progress notes ("Running demo · echo…"). */
  showProgress?: boolean;
  /** Echo each input line after its prompt (for readable transcripts of piped input). */
  echoInput?: boolean;
  /**
   * Follow sign-in links headlessly instead of waiting for a browser (PARLEY_FOLLOW_SIGNIN_LINKS=1):
   * only useful against an authorization server that signs in without a person (AUTH_AUTO_APPROVE).
   */
  followSignInLinks?: boolean;
  /** Where files from tool results are saved (default: a new folder under the OS temp dir). */
  fileDir?: string;
}

/** What `send` returns when the person left (`/quit`, end of input) instead of answering again. */
const QUIT = Symbol('quit');

type Queued =
  | { kind: 'form'; view: FormView }
  | { kind: 'link'; view: LinkView }
  | { kind: 'confirm'; view: ConfirmView };

export class ConsoleAdapter implements ChatSurface {
  readonly platform = 'console';
  /** Answers print as the model writes them. */
  readonly streams = true;
  readonly conversation: Conversation;
  private readonly actor: Actor;
  private readonly queue: Queued[] = [];
  private readonly closedIds = new Set<string>();
  private arrival: (() => void) | undefined;
  /** The chat has ended: nothing more is printed (see `run`). */
  private left = false;
  private readonly input: LineInput;
  private readonly files: ConsoleFiles;
  /** The form being asked field by field, and how to stop asking when it closes. */
  private filling: Filling | undefined;
  /** A consented link's call is running: a typed `/cancel` stops waiting for it. */
  private waitingForLink = false;

  constructor(private readonly config: ConsoleAdapterConfig) {
    const user = config.user ?? 'you';
    this.conversation = { platform: 'console', workspace: 'local', channel: 'terminal', user };
    this.actor = { platform: 'console', workspace: 'local', user };
    this.files = new ConsoleFiles(config.fileDir);
    this.input = new LineInput({
      input: config.input,
      output: config.output,
      echoInput: config.echoInput,
      filling: () => this.filling,
      closed: (id) => this.closedIds.has(id),
    });
  }

  async post(_conversation: Conversation, message: OutboundMessage): Promise<void> {
    if (this.left) return;
    switch (message.kind) {
      case 'text':
        if (message.text) this.say(message.text);
        for (const file of message.files ?? []) this.above(`        📎 ${this.files.save(file)}\n`);
        return;
      case 'notice':
        this.say(message.text);
        return;
      case 'progress':
        if (this.config.showProgress !== false) this.above(`        … ${message.text}\n`);
        return;
      case 'closed':
        this.closedIds.add(message.id);
        // The form being asked ended without its answers: stop asking (the core says why).
        if (this.filling?.id === message.id && message.outcome === 'expired') this.filling.interrupt?.();
        return;
      case 'stream':
        this.stream(message);
        return;
      default:
        this.queue.push(message);
        this.arrival?.();
    }
  }

  private streamed = new Map<string, boolean>();

  /** Prints a streamed answer's text as it comes, laid out as a whole `text` answer would be. */
  private stream(message: Extract<OutboundMessage, { kind: 'stream' }>): void {
    const started = this.streamed.has(message.id);
    if (message.phase === 'stop') {
      this.streamed.delete(message.id);
      if (started) this.write('\n');
      else this.write(`parley> ${message.text.replace(/\n/g, '\n        ')}\n`);
      return;
    }
    this.streamed.set(message.id, true);
    this.write(`${started ? '' : 'parley> '}${message.text.replace(/\n/g, '\n        ')}`);
  }

  /** Runs the chat until the input ends (EOF or /quit). */
  async run(): Promise<void> {
    this.input.start();
    const { agent } = this.config;
    this.write('Parley console — type a message, /help for commands, /quit to leave.\n');
    let quit = false;
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        if (this.closedIds.has(next.view.id)) continue;
        const keepGoing = await this.handleInteraction(next);
        if (!keepGoing) break;
        await this.settle();
        continue;
      }
      const line = await this.input.ask('you> ');
      if (line === undefined || line === CLOSED) break;
      if (isQuit(line)) {
        quit = true;
        break;
      }
      if (!line.trim()) continue;
      // '#' lines are comments for scripted sessions: shown as headings, never sent.
      if (line.startsWith('#')) {
        this.write(`\n── ${line.replace(/^#+\s*/, '')} ──\n`);
        continue;
      }
      void agent.message(this.conversation, line);
      await this.settle();
    }
    this.waitingForLink = false;
    // At the end of piped input, answers still on their way are printed first. `/quit` leaves at
    // once: a call still running (a consent page's waits for minutes) is ended by stopping Parley,
    // and nothing more is printed after the person left.
    if (!quit) await agent.whenIdle();
    this.left = true;
    this.input.close();
  }

  /**
   * Waits until the agent has nothing running or something needs the person — or, while a
   * consented link's call runs, until the person types `/cancel` to stop waiting for it.
   */
  private async settle(): Promise<void> {
    if (this.queue.length > 0) return;
    let stopWaiting: (() => void) | undefined;
    const cancelled = new Promise<boolean>((resolve) => {
      stopWaiting = () => resolve(true);
    });
    const idle = new Promise<boolean>((resolve) => {
      this.arrival = () => resolve(false);
      void this.config.agent.whenIdle().then(() => resolve(false));
    });
    let leaving = false;
    const watch = this.waitingForLink
      ? this.input.watchForCancel((quit) => {
          leaving = quit;
          stopWaiting?.();
        })
      : undefined;
    const byCancel = await Promise.race([idle, cancelled]);
    this.arrival = undefined;
    watch?.stop();
    if (this.waitingForLink && byCancel && !leaving)
      this.write(
        'parley> Okay — I stopped waiting for that page. If it finishes later, the answer still shows up here.\n',
      );
    this.waitingForLink = false;
  }

  private async handleInteraction(item: Queued): Promise<boolean> {
    if (item.kind === 'form') return this.fillForm(item.view);
    if (item.kind === 'confirm') {
      this.write(`\n⚠️  ${item.view.title}\n${indent(renderMarkdown(item.view.message, this.color))}\n`);
      const answer = await this.input.ask('Confirm? [y/N] ');
      if (answer === undefined || answer === CLOSED || isQuit(answer)) {
        await this.send(item.view.id, { action: 'decline' });
        return false;
      }
      const reply = await this.send(item.view.id, {
        action: /^y(es)?$/i.test(answer.trim()) ? 'approve' : 'decline',
      });
      return reply !== QUIT;
    }
    const view = item.view;
    // A consent link is shown only once consented to; until then its message holds no link either.
    if (view.purpose === 'consent')
      this.write(`\n🔗 ${view.origin}: ${unlinked(view.message)}\n   Host: ${view.host}\n`);
    else
      this.write(
        `\n🔗 ${view.origin}: ${renderMarkdown(view.message, this.color)}\n   Link: ${view.url}\n   Host: ${view.host}\n`,
      );
    if (view.purpose === 'signin') return this.signIn(view);
    if (view.purpose === 'consent') {
      const answer = await this.input.ask('Open this link? [y/N] ');
      if (answer === undefined || answer === CLOSED || isQuit(answer)) {
        await this.send(view.id, { action: 'decline' });
        return false;
      }
      if (!/^y(es)?$/i.test(answer.trim())) return (await this.send(view.id, { action: 'decline' })) !== QUIT;
      const reply = await this.send(view.id, { action: 'open' });
      if (reply === QUIT) return false;
      if (reply.ok) {
        this.write(
          `   Open it in your browser: ${view.url}\n   ${view.origin} carries on once you’ve finished there — type /cancel to stop waiting.\n`,
        );
        this.waitingForLink = true;
      }
      return true;
    }
    const answer = await this.input.ask(
      'Press Enter when you have finished in the browser (or type "no" to give up): ',
    );
    if (answer === undefined || answer === CLOSED || isQuit(answer)) {
      await this.send(view.id, { action: 'decline' });
      return false;
    }
    const reply = await this.send(view.id, { action: /^n(o)?$/i.test(answer.trim()) ? 'decline' : 'done' });
    return reply !== QUIT;
  }

  /** The OAuth callback resumes the turn by itself: nothing to ask, unless following headlessly. */
  private async signIn(view: LinkView): Promise<boolean> {
    if (!this.config.followSignInLinks) {
      this.write('   Open the link in your browser to sign in; I’ll carry on by myself once you have.\n');
      return true;
    }
    this.write('   Following the sign-in link headlessly (PARLEY_FOLLOW_SIGNIN_LINKS)…\n');
    try {
      const page = await followSignInLink(view.url);
      if (!page.ok)
        this.write(`   The sign-in ended on an error page (${page.status}): ${page.text.slice(0, 200)}\n`);
    } catch (err) {
      this.write(
        `   I couldn’t follow the sign-in link: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
    return true;
  }

  /**
   * Asks a form field by field: each field's description, its options with their titles and how
   * to skip it. `/decline`, `/cancel` and `/quit` stop the form (`/quit` the chat too); a form
   * closed meanwhile (expired, its server gone) is not asked any further.
   */
  private async fillForm(view: FormView): Promise<boolean> {
    const { form } = view;
    this.write(
      `\n📝 ${form.title === view.origin ? form.title : `${form.title} — ${view.origin}`}\n${indent(renderMarkdown(form.message, this.color))}\n` +
        '   (* = required. Type /decline to refuse, /cancel to stop, /quit to leave.)\n',
    );
    this.filling = { id: view.id };
    try {
      const values = fieldRecord<unknown>();
      let fields = form.fields;
      for (;;) {
        for (const field of fields) {
          for (const line of fieldHelp(field)) this.write(`     ${line}\n`);
          const answer = await this.input.ask(`   ${fieldPrompt(field)}`);
          if (answer === CLOSED) return true;
          const cmd = answer?.trim().toLowerCase();
          if (answer === undefined || cmd === '/quit') {
            await this.send(view.id, { action: 'cancel' });
            return false;
          }
          if (cmd === '/decline' || cmd === '/cancel')
            return (await this.send(view.id, { action: cmd === '/decline' ? 'decline' : 'cancel' })) !== QUIT;
          const value = answerValue(field, field.multiline ? answer.replace(/\\n/g, '\n') : answer);
          if (value === undefined) delete values[field.name];
          else values[field.name] = value;
        }
        const reply = await this.send(view.id, { action: 'submit', values });
        if (reply === QUIT) return false;
        if (reply.ok || reply.code !== 'invalid' || !reply.errors) return true;
        const errors = reply.errors;
        for (const [name, message] of Object.entries(errors)) {
          const label = form.fields.find((f) => f.name === name)?.label ?? name;
          this.write(`   ✗ ${label}: ${message}\n`);
        }
        fields = form.fields.filter((f) => Object.hasOwn(errors, f.name));
      }
    } finally {
      this.filling = undefined;
    }
  }

  /**
   * Hands an answer to the core and shows a refusal once. A refusal met while handing it on (the
   * store failed, the form expired meanwhile) the core tells the person itself, as a notice — all
   * but "another answer was first" (see `Received`) — so it isn't repeated here. When the store
   * was unavailable nothing was consumed, and the person, told to try again, is offered to send
   * the same answer again. A refusal with per-field errors is returned unshown (the form asks
   * those fields again); {@link QUIT} when the person leaves instead.
   */
  private async send(id: string, answer: Answer): Promise<AnswerReply | typeof QUIT> {
    for (;;) {
      const received = await this.config.agent.receive(id, this.actor, answer);
      const reply = received.ok ? await received.deliver() : received;
      const told = received.ok && !reply.ok && reply.code !== 'used';
      if (!reply.ok && !told && !(reply.code === 'invalid' && reply.errors)) this.say(reply.message);
      if (reply.ok || reply.code !== 'unavailable') return reply;
      const again = await this.input.ask('   Press Enter to send it again (anything else leaves it): ');
      if (again === undefined || (again !== CLOSED && isQuit(again))) return QUIT;
      if (again === CLOSED || again.trim() !== '') return reply;
    }
  }

  /** Parley's message, rendered from Markdown, indented under its `parley>` tag. */
  private say(text: string): void {
    this.above(`parley> ${renderMarkdown(text, this.color).replace(/\n/g, '\n        ')}\n`);
  }

  /** Writes above an open prompt (a message that arrived while the person types), then re-shows it. */
  private above(text: string): void {
    if (this.input.openPrompt === undefined) this.write(text);
    else this.write(`\n${text}${this.input.openPrompt}`);
  }

  /** Colours only for a terminal; piped output gets plain text. */
  private get color(): boolean {
    return (this.config.output as { isTTY?: boolean }).isTTY === true;
  }

  private write(text: string): void {
    this.config.output.write(text);
  }

  close(): void {
    this.input.close();
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');
}

function isQuit(line: string): boolean {
  return line.trim().toLowerCase() === '/quit';
}
