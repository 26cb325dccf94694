/**
 * The console's line input: lines from the person (typed or piped) wait here until something
 * asks for one, and an ask waits for the next line — or for the form it fills to close. Apart
 * from the adapter (`console.ts`), which decides what to ask and what an answer means.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** What `ask` returns when the form being filled was closed meanwhile (expired, server gone). */
export const CLOSED = Symbol('closed');
export type Asked = string | undefined | typeof CLOSED;

/** The form being asked field by field, and how to stop asking when it closes. */
export interface Filling {
  id: string;
  interrupt?: () => void;
}

export interface LineInputOptions {
  input: Readable;
  output: Writable;
  /** Echo each input line after its prompt (see `ConsoleAdapterConfig.echoInput`). */
  echoInput?: boolean | undefined;
  /** The form being asked now, if any. */
  filling: () => Filling | undefined;
  /** The interaction `id` has closed (expired, its server gone). */
  closed: (id: string) => boolean;
}

export class LineInput {
  private readonly lines: string[] = [];
  private lineWaiter: ((line: string | undefined) => void) | undefined;
  private ended = false;
  private rl: Interface | undefined;
  /** The prompt on screen waiting for a line, re-shown after a message printed over it. */
  openPrompt: string | undefined;

  constructor(private readonly o: LineInputOptions) {}

  /** Starts reading the input; it ends at EOF or {@link close}. */
  start(): void {
    const rl = createInterface({ input: this.o.input, terminal: false });
    this.rl = rl;
    rl.on('line', (line) => {
      if (this.lineWaiter) {
        const w = this.lineWaiter;
        this.lineWaiter = undefined;
        w(line);
      } else this.lines.push(line);
    });
    rl.on('close', () => {
      this.ended = true;
      this.lineWaiter?.(undefined);
    });
  }

  /**
   * Takes the next line only when it is `/cancel`; other lines stay queued for the chat. `/quit`
   * stops the wait too (`onCancel(true)`) and stays queued, for the chat to read and leave.
   */
  watchForCancel(onCancel: (quit: boolean) => void): { stop(): void } {
    const check = () => {
      const next = this.lines[0]?.trim().toLowerCase();
      if (next === '/cancel') this.lines.shift();
      else if (next !== '/quit') return false;
      onCancel(next === '/quit');
      return true;
    };
    if (check()) return { stop: () => undefined };
    const rl = this.rl;
    const onLine = () => void Promise.resolve().then(check);
    rl?.on('line', onLine);
    return { stop: () => rl?.off('line', onLine) };
  }

  /** One line from the person; {@link CLOSED} when the form being filled closes meanwhile. */
  ask(prompt: string): Promise<Asked> {
    this.write(prompt);
    const take = (line: string | undefined): Asked => {
      this.openPrompt = undefined;
      if (this.filling) this.filling.interrupt = undefined;
      if (line === undefined) this.write('\n');
      // Piped input isn't echoed by a terminal: echo it so the transcript reads like a chat.
      else if (this.o.echoInput ?? !(this.o.input as { isTTY?: boolean }).isTTY) this.write(`${line}\n`);
      return line;
    };
    const stopped = '   ✗ This form was closed before it was finished, so I stopped asking.\n';
    if (this.filling && this.o.closed(this.filling.id)) {
      this.write(`\n${stopped}`);
      return Promise.resolve(CLOSED);
    }
    const buffered = this.lines.shift();
    if (buffered !== undefined) return Promise.resolve(take(buffered));
    if (this.ended) return Promise.resolve(take(undefined));
    this.openPrompt = prompt;
    return new Promise((resolve) => {
      this.lineWaiter = (line) => resolve(take(line));
      if (this.filling)
        this.filling.interrupt = () => {
          this.lineWaiter = undefined;
          this.openPrompt = undefined;
          // Said at once, so it comes before the core's sentence saying why.
          this.write(`\n${stopped}`);
          resolve(CLOSED);
        };
    });
  }

  close(): void {
    this.rl?.close();
  }

  private get filling(): Filling | undefined {
    return this.o.filling();
  }

  private write(text: string): void {
    this.o.output.write(text);
  }
}
