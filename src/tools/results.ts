/**
 * A tool's result (MCP `CallToolResult`, spec 2025-11-25 §server/tools "Tool Result") turned into
 * a neutral shape: text and images for the model, text and files for the person. Every content
 * type is accounted for — text, image, audio, `resource_link`, embedded `resource` (text or blob),
 * `structuredContent` — a result marked `isError` is worded as the tool's failure, `_meta` is
 * ignored, and both sides are bounded with a note saying what was cut. A block whose
 * `annotations.audience` names only the user (or only the assistant) reaches only that side.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';
import { FILE_MAX_BYTES, FILES_MAX, type OutboundFile } from '../surface.js';
import { hostOf, safeUrl } from '../text.js';

/** Characters of a result the person sees in chat (the rest is cut with a note). */
export const PERSON_TEXT_MAX = 3_500;
/** Characters of a result the model gets (the rest is cut with a note). */
export const MODEL_TEXT_MAX = 24_000;
/** Largest image passed to a model that reads images (bytes); larger ones are described. */
const MODEL_IMAGE_MAX_BYTES = 2 * 1024 * 1024;
/** Characters of one embedded text resource shown to the person. */
const PERSON_RESOURCE_MAX = 1_500;

/** An image for a model that reads images (an `image_url` content part, as a data URL). */
export interface ModelImage {
  mimeType: string;
  /** Base64 bytes. */
  data: string;
}

export interface ResultView {
  /** What the model reads (a tool message). */
  forModel: string;
  /** Images the model may look at (only when the model accepts images). */
  images: ModelImage[];
  /** What the person reads. */
  forPerson: string;
  /** Files shown to the person beside the text. */
  files: OutboundFile[];
}

export interface ResultOptions {
  /** The model accepts images (LLM_VISION): image blocks go to it as images, else as a description. */
  vision: boolean;
  /** "server · tool", for error wording. */
  origin: string;
}

type Block = NonNullable<CallToolResult['content']>[number];
type Audience = 'user' | 'assistant';

/** Turns a result into what the model and the person each get. Never throws. */
export function viewResult(result: CallToolResult, options: ResultOptions): ResultView {
  const model: string[] = [];
  const person: string[] = [];
  const images: ModelImage[] = [];
  const files: OutboundFile[] = [];
  const dropped: string[] = [];
  const addFile = (file: OutboundFile) => {
    if (file.size > FILE_MAX_BYTES)
      dropped.push(`${file.name} (${formatBytes(file.size)}, too large to show)`);
    else if (files.length >= FILES_MAX) dropped.push(file.name);
    else files.push(file);
  };
  const content = Array.isArray(result.content) ? result.content : [];
  for (const block of content) {
    const audience = audienceOf(block);
    const toModel = (t: string) => audience.includes('assistant') && model.push(t);
    const toPerson = (t: string) => audience.includes('user') && person.push(t);
    switch (block.type) {
      case 'text':
        toModel(block.text);
        toPerson(block.text);
        break;
      case 'image':
      case 'audio': {
        const size = base64Size(block.data);
        const what = `${block.type === 'image' ? 'an image' : 'audio'} (${block.mimeType}, ${formatBytes(size)})`;
        if (audience.includes('user'))
          addFile({
            name: `${block.type}-${files.filter((f) => f.kind === block.type).length + 1}.${extension(block.mimeType)}`,
            mimeType: block.mimeType,
            data: block.data,
            size,
            kind: block.type,
          });
        if (
          block.type === 'image' &&
          options.vision &&
          audience.includes('assistant') &&
          size <= MODEL_IMAGE_MAX_BYTES
        ) {
          images.push({ mimeType: block.mimeType, data: block.data });
          toModel(`[The tool returned ${what}; it follows as an image.]`);
        } else toModel(`[The tool returned ${what}, shown to the person as a file.]`);
        break;
      }
      case 'resource_link': {
        const label = block.title ?? block.name;
        const host = hostOf(block.uri);
        const extra = [block.mimeType, block.description].filter(Boolean).join(' — ');
        toModel(`Resource link: ${label} <${block.uri}>${extra ? ` (${extra})` : ''}`);
        toPerson(
          safeUrl(block.uri) ? `🔗 [${label}](${block.uri}) (${host})` : `🔗 ${label}: \`${block.uri}\``,
        );
        break;
      }
      case 'resource': {
        const r = block.resource as { uri: string; mimeType?: string; text?: string; blob?: string };
        const mime = r.mimeType ?? 'unknown type';
        if (typeof r.text === 'string') {
          toModel(`Resource ${r.uri} (${mime}):\n${r.text}`);
          toPerson(`📄 \`${r.uri}\` (${mime})\n${fence(clip(r.text, PERSON_RESOURCE_MAX).text)}`);
        } else if (typeof r.blob === 'string') {
          const size = base64Size(r.blob);
          const mimeType = r.mimeType ?? 'application/octet-stream';
          if (audience.includes('user'))
            addFile({
              name: fileNameOf(r.uri, mimeType, files.length),
              mimeType,
              data: r.blob,
              size,
              kind: mimeType.startsWith('image/')
                ? 'image'
                : mimeType.startsWith('audio/')
                  ? 'audio'
                  : 'file',
              title: r.uri,
            });
          toModel(
            `[The tool returned the file ${r.uri} (${mime}, ${formatBytes(size)}), shown to the person.]`,
          );
        }
        break;
      }
      default:
        toModel(`[content of type ${(block as { type?: unknown }).type} not shown]`);
    }
  }
  if (result.structuredContent && typeof result.structuredContent === 'object') {
    const json = JSON.stringify(result.structuredContent, null, 2);
    // The spec asks servers to repeat structured content as text; say it once.
    const repeated = content.some((b) => b.type === 'text' && sameJson(b.text, result.structuredContent));
    if (!repeated) model.push(`Structured content:\n${json}`);
    if (person.length === 0 && files.length === 0) person.push(fence(json, 'json'));
  }
  if (dropped.length > 0) {
    const note = `(Not shown: ${dropped.join(', ')}.)`;
    person.push(note);
    model.push(note);
  }
  const personText = bound(
    person.join('\n\n') || (files.length ? '' : '(no output)'),
    PERSON_TEXT_MAX,
    'the person',
  );
  const modelText = bound(model.join('\n\n') || '(no output)', MODEL_TEXT_MAX, 'you');
  if (result.isError)
    return {
      forModel: `Error: the tool ${options.origin} failed: ${modelText}`,
      forPerson: `⚠️ ${options.origin} reported a failure: ${personText}`,
      images: [],
      files,
    };
  return { forModel: modelText, forPerson: personText, images, files };
}

function audienceOf(block: Block): Audience[] {
  const a = (block as { annotations?: { audience?: unknown } }).annotations?.audience;
  if (!Array.isArray(a) || a.length === 0) return ['user', 'assistant'];
  return a.filter((x): x is Audience => x === 'user' || x === 'assistant');
}

/** Cuts `text` to `max` characters with a note saying how much was left out and for whom. */
function bound(text: string, max: number, who: string): string {
  const c = clip(text, max);
  if (!c.cut) return c.text;
  return `${c.text}\n\n(Cut for ${who}: showing ${max.toLocaleString('en')} of ${text.length.toLocaleString('en')} characters.)`;
}

function clip(text: string, max: number): { text: string; cut: boolean } {
  if (text.length <= max) return { text, cut: false };
  let cut = text.slice(0, max);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return { text: `${cut}…`, cut: true };
}

function fence(text: string, lang = ''): string {
  // A fence longer than any backtick run inside, so the block can't be closed early.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

function sameJson(text: string, value: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
  } catch {
    return false;
  }
}

/** Decoded size of base64 text, in bytes. */
export function base64Size(data: string): number {
  const clean = data.replace(/\s/g, '');
  const pad = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - pad);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'application/pdf': 'pdf',
  'application/json': 'json',
  'text/plain': 'txt',
};

function extension(mimeType: string): string {
  return EXTENSIONS[mimeType.toLowerCase()] ?? 'bin';
}

/** A safe file name from a resource URI's last segment (letters, digits, `._-` only). */
function fileNameOf(uri: string, mimeType: string, index: number): string {
  let last = '';
  try {
    last = decodeURIComponent(new URL(uri).pathname.split('/').pop() ?? '');
  } catch {
    last = uri.split('/').pop() ?? '';
  }
  const safe = last
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 80);
  if (!safe) return `file-${index + 1}.${extension(mimeType)}`;
  return safe.includes('.') ? safe : `${safe}.${extension(mimeType)}`;
}
