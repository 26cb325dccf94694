/**
 * The scripted LLM (test/helpers/scripted-llm.ts) in a process of its own, for benchmarks: its
 * CPU is never counted as Parley's. It answers every request by one rule, so any number of
 * people can talk to it at once: the person's last message `echo <text>` asks for
 * `demo__echo`, `ticket <text>` for `demo__create_ticket_v2`; once a tool has answered, it
 * replies `Done: <what the tool said>`. Sends `{ baseURL }` to its parent once it listens.
 */
import { type ChatRequest, type ScriptStep, startScriptedLlm } from '../helpers/scripted-llm.js';

function respond(request: ChatRequest): ScriptStep {
  const last = request.messages.at(-1);
  if (last?.role === 'tool') return { content: `Done: ${String(last.content)}` };
  const text = String(last?.content ?? '');
  const [verb, ...rest] = text.split(' ');
  const arg = rest.join(' ');
  if (verb === 'echo') return { toolCalls: [{ name: 'demo__echo', arguments: { message: arg } }] };
  if (verb === 'ticket')
    return { toolCalls: [{ name: 'demo__create_ticket_v2', arguments: { initial_description: arg } }] };
  return { content: 'Hello.' };
}

const llm = await startScriptedLlm();
// Each request takes the next step; this one answers by the rule and puts itself back.
const rule = (request: ChatRequest): ScriptStep => {
  llm.push(rule);
  return respond(request);
};
llm.push(rule);
process.send?.({ baseURL: llm.baseURL });
process.on('disconnect', () => process.exit(0));
