/**
 * Every content type of a tool's result reaches the person (a direct `/call`) and the model (an
 * LLM turn), bounded, on a real MCP server (the mini server) and a real agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSchema } from '../../src/config.js';
import { OpenAiLlm } from '../../src/llm.js';
import type { OutboundFile, OutboundMessage } from '../../src/surface.js';
import { type CoreRig, startCoreRig } from '../helpers/core-rig.js';
import { startMiniMcp } from '../helpers/mini-mcp.js';
import { FILE_BODY, registerResultTools, TINY_PNG } from '../helpers/result-tools.js';
import { type ChatRequest, type ScriptedLlm, startScriptedLlm } from '../helpers/scripted-llm.js';
import { conv } from '../helpers/surface.js';

let mini: { url: string; close(): Promise<void> };
let llm: ScriptedLlm;
let rig: CoreRig;
let vision: CoreRig;

beforeAll(async () => {
  mini = await startMiniMcp('res', registerResultTools);
  llm = await startScriptedLlm();
  const servers = [serverSchema.parse({ name: 'res', url: mini.url })];
  const model = () => new OpenAiLlm({ apiKey: 'k', baseURL: llm.baseURL, model: 'scripted' });
  rig = await startCoreRig('results', servers, { llm: model() });
  vision = await startCoreRig('results-vision', servers, { llm: model(), vision: true });
});
afterAll(async () => {
  await rig?.close();
  await vision?.close();
  await mini?.close();
  await llm?.close();
});

/** Runs `/call res__<tool>` and returns what the person got (text and files). */
async function direct(user: string, tool: string): Promise<{ text: string; files: OutboundFile[] }> {
  await rig.agent.message(conv(user), `/call res__${tool} {}`);
  await rig.agent.whenIdle();
  const texts = rig.surface
    .for(user)
    .filter((m): m is Extract<OutboundMessage, { kind: 'text' }> => m.kind === 'text');
  return { text: texts.map((m) => m.text).join('\n'), files: texts.flatMap((m) => m.files ?? []) };
}

/** Runs an LLM turn that calls the tool; returns the tool message and any image the model got. */
async function viaModel(r: CoreRig, user: string, tool: string) {
  let seen: ChatRequest | undefined;
  llm.push({ toolCalls: [{ name: `res__${tool}`, arguments: {} }] }, (req) => {
    seen = req;
    return { content: 'ok' };
  });
  await r.agent.message(conv(user), `run ${tool}`);
  await r.agent.whenIdle();
  const messages = (seen?.messages ?? []) as Array<{ role: string; content?: unknown }>;
  const toolMessage = messages.find((m) => m.role === 'tool')?.content as string;
  const last = messages.at(-1);
  return { toolMessage, last };
}

describe('what the person sees', () => {
  it('an embedded text resource: its text, uri and mime type', async () => {
    const { text } = await direct('p1', 'file_contents');
    expect(text).toContain('repo://octo/app/main.py');
    expect(text).toContain('text/x-python');
    expect(text).toContain('print("hello")');
    expect(text).not.toContain('[resource content]');
  });

  it('a blob resource: a file named after its uri', async () => {
    const { files } = await direct('p2', 'blob');
    expect(files).toEqual([
      expect.objectContaining({ name: 'q3_report.pdf', mimeType: 'application/pdf', kind: 'file' }),
    ]);
    expect(Buffer.from(files[0]?.data ?? '', 'base64').toString()).toBe('%PDF-1.4 fake');
  });

  it('a resource link: its name, link and host', async () => {
    const { text } = await direct('p3', 'link');
    expect(text).toContain('[Getting started](https://docs.example.com/guide/start) (docs.example.com)');
  });

  it('an image and audio: files', async () => {
    const image = await direct('p4', 'image');
    expect(image.text).toContain('here is the picture');
    expect(image.files).toEqual([
      expect.objectContaining({ kind: 'image', mimeType: 'image/png', data: TINY_PNG }),
    ]);
    const audio = await direct('p5', 'audio');
    expect(audio.files).toEqual([expect.objectContaining({ kind: 'audio', name: 'audio-1.wav' })]);
  });

  it('structured content without text: a JSON code block', async () => {
    const { text } = await direct('p6', 'structured');
    expect(text).toMatch(/```json\n\{\n {2}"temperature": 21\.5,\n {2}"unit": "C"\n\}\n```/);
  });

  it('an isError result is worded as the tool’s failure', async () => {
    const { text } = await direct('p7', 'failing');
    expect(text).toBe('⚠️ res · failing reported a failure: disk is full');
  });

  it('_meta is ignored', async () => {
    const { text } = await direct('p8', 'with_meta');
    expect(text).toBe('visible');
  });

  it('a 1 MB result is one bounded message with a note saying what was cut', async () => {
    const before = rig.surface.posts.length;
    const { text } = await direct('p9', 'huge');
    const posted = rig.surface.posts.slice(before).filter((p) => p.message.kind === 'text');
    expect(posted).toHaveLength(1);
    expect(text.length).toBeLessThan(4_000);
    expect(text).toContain('(Cut for the person: showing 3,500 of 1,048,576 characters.)');
  });

  it('audience annotations: a block for the model only is not shown', async () => {
    const { text } = await direct('p10', 'audience');
    expect(text).toBe('for the person only');
  });
});

describe('what the model reads', () => {
  it('the body of an embedded text resource, with its uri and mime type', async () => {
    const { toolMessage } = await viaModel(rig, 'm1', 'file_contents');
    expect(toolMessage).toBe(`Resource repo://octo/app/main.py (text/x-python):\n${FILE_BODY}`);
  });

  it('structured content', async () => {
    const { toolMessage } = await viaModel(rig, 'm2', 'structured');
    expect(toolMessage).toContain('"temperature": 21.5');
  });

  it('a failure as a failure', async () => {
    const { toolMessage } = await viaModel(rig, 'm3', 'failing');
    expect(toolMessage).toBe('Error: the tool res · failing failed: disk is full');
  });

  it('a bounded text with a note', async () => {
    const { toolMessage } = await viaModel(rig, 'm4', 'huge');
    expect(toolMessage.length).toBeLessThan(25_000);
    expect(toolMessage).toContain('(Cut for you: showing 24,000 of 1,048,576 characters.)');
  });

  it('only the blocks meant for it', async () => {
    const { toolMessage } = await viaModel(rig, 'm5', 'audience');
    expect(toolMessage).toBe('for the model only');
  });

  it('without vision, an image as a short description; the person gets the file', async () => {
    const { toolMessage, last } = await viaModel(rig, 'm6', 'image');
    expect(toolMessage).toBe(
      'here is the picture\n\n[The tool returned an image (image/png, 70 B), shown to the person as a file.]',
    );
    expect(last?.role).toBe('tool');
    const files = rig.surface.for('m6').flatMap((m) => (m.kind === 'text' ? (m.files ?? []) : []));
    expect(files).toHaveLength(1);
  });

  it('with vision (LLM_VISION), the image itself as an image part', async () => {
    const { toolMessage, last } = await viaModel(vision, 'm7', 'image');
    expect(toolMessage).toContain('it follows as an image');
    expect(last).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'The images the tools returned:' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG}` } },
      ],
    });
  });
});
