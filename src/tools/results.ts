/**
 * A tool's result as text for the person or the model. Every content block is accounted for;
 * a result marked `isError` is worded as the tool's failure.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';

export function formatResult(result: CallToolResult, mode: 'llm' | 'direct'): string {
  const parts: string[] = [];
  for (const block of result.content ?? []) {
    if (block.type === 'text') parts.push(block.text);
    else if (block.type === 'resource_link') parts.push(`${block.name}: ${block.uri}`);
    else parts.push(`[${block.type} content]`);
  }
  if (parts.length === 0 && result.structuredContent)
    parts.push(JSON.stringify(result.structuredContent, null, 2));
  const text = parts.join('\n') || '(no output)';
  if (result.isError) return mode === 'direct' ? `⚠️ The tool reported an error: ${text}` : `Error: ${text}`;
  return text;
}
