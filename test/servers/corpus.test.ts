/**
 * A standing corpus of real third-party MCP servers, installed from npm as dev dependencies and
 * driven through the console adapter: `@modelcontextprotocol/server-everything` over stdio and
 * Streamable HTTP (elicitation, sampling, progress, resources, images, annotations) and
 * `@modelcontextprotocol/server-filesystem`. Each test asserts what the person sees.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSchema } from '../../src/config.js';
import { OpenAiLlm } from '../../src/llm.js';
import { consoleSession } from '../helpers/console-session.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const FILESYSTEM = join(ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
/** PNG files start with these eight bytes. */
const PNG_MAGIC = '89504e470d0a1a0a';

let llm: ScriptedLlm;
let rig: CoreRig;
let http: ChildProcess | undefined;
let files: string;
let saved: string;

/** A free loopback port (the server-everything HTTP transport takes a port, not 0). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startEverythingHttp(): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  http = child;
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('server-everything (HTTP) did not start')), 30_000);
    child.stderr?.on('data', (d: Buffer) => {
      if (/listening on port/i.test(d.toString())) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once('exit', (code) => fail(new Error(`server-everything (HTTP) exited with ${code}`)));
  });
  return `http://127.0.0.1:${port}/mcp`;
}

beforeAll(async () => {
  llm = await startScriptedLlm();
  files = mkdtempSync(join(tmpdir(), 'parley-corpus-fs-'));
  saved = mkdtempSync(join(tmpdir(), 'parley-corpus-saved-'));
  writeFileSync(join(files, 'hello.txt'), 'Hello from the filesystem server.\n');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  // Each person starts their own stdio server, which a loaded machine can take seconds to load:
  // what these tests check is the results, not the default 3 s listing deadline.
  const timeouts = { listMs: 20_000 };
  rig = await startCoreRig(
    'corpus',
    [
      serverSchema.parse({
        name: 'every',
        command: process.execPath,
        args: [EVERYTHING, 'stdio'],
        env,
        timeouts,
      }),
      serverSchema.parse({ name: 'everyhttp', url: await startEverythingHttp(), timeouts }),
      serverSchema.parse({ name: 'fs', command: process.execPath, args: [FILESYSTEM, files], env, timeouts }),
    ],
    { llm: new OpenAiLlm({ apiKey: 'k', baseURL: llm.baseURL, model: 'scripted' }) },
  );
}, 60_000);
afterAll(async () => {
  await rig?.close();
  http?.kill('SIGTERM');
  await llm?.close();
});

const say = (lines: string[], user: string) => consoleSession(rig.agent, lines, { user, fileDir: saved });

describe.each(['every', 'everyhttp'])('server-everything (%s)', { timeout: 60_000 }, (server) => {
  it('lists its tools', async () => {
    const t = await say(['/tools'], `tools-${server}`);
    // The console renders Markdown, so code spans show without their backticks.
    expect(t).toContain(`${server}__get-tiny-image`);
    expect(t).toContain(`${server}__trigger-elicitation-request`);
  });

  it('an image result is saved to a file whose path the person sees', async () => {
    const t = await say([`/call ${server}__get-tiny-image {}`], `img-${server}`);
    const path = /📎 image \(image\/png\) saved to (\S+)/.exec(t)?.[1];
    expect(path).toBeDefined();
    expect(existsSync(path as string)).toBe(true);
    expect(
      readFileSync(path as string)
        .subarray(0, 8)
        .toString('hex'),
    ).toBe(PNG_MAGIC);
  });

  it('an embedded resource is shown with its uri and text', async () => {
    const t = await say([`/call ${server}__get-resource-reference {"resourceId":2}`], `ref-${server}`);
    expect(t).toMatch(
      /📄 `?demo:\/\/resource\/dynamic\/text\/2`? \(text\/plain\)\n[\s\S]*?Resource 2: This is a plaintext resource/,
    );
    expect(t).not.toContain('[resource content]');
  });

  it('resource links are shown with their names', async () => {
    const t = await say([`/call ${server}__get-resource-links {"count":2}`], `links-${server}`);
    expect(t).toMatch(/🔗 .+: `?demo:\/\//);
  });

  it('structured content reaches the person', async () => {
    const t = await say(
      [`/call ${server}__get-structured-content {"location":"New York"}`],
      `struct-${server}`,
    );
    expect(t).toMatch(/temperature/);
  });

  it('annotated messages: what is meant for the person is shown', async () => {
    const t = await say(
      [`/call ${server}__get-annotated-message {"messageType":"success","includeImage":true}`],
      `ann-${server}`,
    );
    expect(t).toContain('Operation completed successfully');
    expect(t).toMatch(/📎 image \(image\/png\) saved to/);
  });

  it('a form (elicitation) is asked field by field and its answers reach the server', async () => {
    const fields = Array.from({ length: 14 }, () => '');
    const t = await say(
      [`/call ${server}__trigger-elicitation-request {}`, 'Ada', 'y', ...fields],
      `form-${server}`,
    );
    expect(t).toContain('📝');
    expect(t).toMatch(/User provided the requested information/);
    expect(t).toMatch(/[-*] Name: Ada/); // a rendered Markdown list
  });

  it('sampling is answered by the model', async () => {
    llm.push({ content: 'A sampled answer.' });
    const t = await say(
      [`/call ${server}__trigger-sampling-request {"prompt":"say hi","maxTokens":50}`],
      `samp-${server}`,
    );
    expect(t).toMatch(/LLM sampling result/);
    expect(t).toContain('A sampled answer.');
  });

  it('a long-running operation with progress completes', async () => {
    const t = await say(
      [`/call ${server}__trigger-long-running-operation {"duration":1,"steps":2}`],
      `long-${server}`,
    );
    expect(t).toMatch(/Long running operation completed\. Duration: 1 seconds, Steps: 2\./);
  });
});

describe('server-filesystem', { timeout: 60_000 }, () => {
  it('reads a file', async () => {
    const t = await say(
      [`/call fs__read_text_file {"path":${JSON.stringify(join(files, 'hello.txt'))}}`],
      'fs-read',
    );
    expect(t).toContain('Hello from the filesystem server.');
  });

  it('lists a directory', async () => {
    const t = await say([`/call fs__list_directory {"path":${JSON.stringify(files)}}`], 'fs-list');
    expect(t).toContain('[FILE] hello.txt');
  });

  it('writing (destructive) asks first, and writes once confirmed', async () => {
    const target = join(files, 'new.txt');
    const t = await say(
      [`/call fs__write_file {"path":${JSON.stringify(target)},"content":"written"}`, 'y'],
      'fs-write',
    );
    expect(t).toMatch(/Confirm\? \[y\/N\]/);
    expect(readFileSync(target, 'utf8')).toBe('written');
  });

  it('a path outside the allowed folder is the tool’s failure, worded as one', async () => {
    const t = await say(['/call fs__read_text_file {"path":"/etc/hostname"}'], 'fs-deny');
    expect(t).toMatch(/⚠️ fs · read_text_file reported a failure: .*(denied|outside|not allowed)/i);
  });
});
