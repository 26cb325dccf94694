/**
 * A tool's files, uploaded into the conversation's place as Slack documents it: for each file
 * `files.getUploadURLExternal` (filename, length in bytes), the bytes POSTed to its URL, then one
 * `files.completeUploadExternal` sharing them all.
 */
import type { webApi } from '@slack/bolt';
import type { Conversation } from '../../src/conversation.js';
import type { OutboundFile } from '../../src/surface.js';

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

/** Uploads `files` and shares them in `c`'s channel (and thread). Throws when Slack refuses one. */
export async function uploadFiles(
  web: webApi.WebClient,
  fetchFn: typeof fetch,
  c: Conversation,
  files: OutboundFile[],
): Promise<void> {
  const uploaded: Array<{ id: string; title: string }> = [];
  for (const file of files) {
    const bytes = Buffer.from(file.data, 'base64');
    // Slack documents `alt_txt` (at most 1,000 characters); the SDK's type calls it alt_text.
    const alt = file.kind === 'image' ? { alt_txt: clip(file.title ?? file.name, 1000) } : {};
    const target = await web.files.getUploadURLExternal({
      filename: file.name,
      length: bytes.length,
      ...alt,
    } as Parameters<webApi.WebClient['files']['getUploadURLExternal']>[0]);
    if (!target.upload_url || !target.file_id) throw new Error('Slack gave no upload URL for a file.');
    const res = await fetchFn(target.upload_url, { method: 'POST', body: bytes });
    if (!res.ok) throw new Error(`Slack refused a file upload (HTTP ${res.status}).`);
    uploaded.push({ id: target.file_id, title: file.title ?? file.name });
  }
  await web.files.completeUploadExternal({
    files: uploaded as [{ id: string; title: string }],
    channel_id: c.channel,
    ...(c.thread && { thread_ts: c.thread }),
  });
}
