/**
 * Drives Parley through the console adapter, as a person at a terminal would: the lines are typed
 * one after another (form fields and confirmations included) and the transcript is what they saw.
 */
import { PassThrough, Writable } from 'node:stream';
import { ConsoleAdapter } from '../../adapters/console/console.js';
import type { Agent } from '../../src/agent.js';

export async function consoleSession(
  agent: Agent,
  lines: string[],
  options: { user?: string; fileDir?: string } = {},
): Promise<string> {
  let transcript = '';
  const output = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      transcript += chunk.toString();
      done();
    },
  });
  const input = new PassThrough();
  const adapter = new ConsoleAdapter({
    agent,
    input,
    output,
    echoInput: true,
    showProgress: true,
    ...(options.user && { user: options.user }),
    ...(options.fileDir && { fileDir: options.fileDir }),
  });
  agent.attach(adapter);
  input.end(lines.map((l) => `${l}\n`).join(''));
  await adapter.run();
  return transcript;
}
