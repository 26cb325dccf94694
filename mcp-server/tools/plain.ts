/**
 * The plain tools: no form, no sign-in. `delete_ticket` is marked destructive, so a client asks
 * before running it.
 */
import { z } from 'zod';
import { callerId } from '../identity.js';
import { failure, type ToolKit, text } from './kit.js';

/** Registers these tools on the kit's server instance. */
export function registerPlainTools(kit: ToolKit): void {
  const { server } = kit;
  const { tickets } = kit.deps;
  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the message it is given.',
      inputSchema: z.object({ message: z.string().describe('What to echo back') }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ message }) => text(message),
  );

  server.registerTool(
    'delete_ticket',
    {
      title: 'Delete ticket',
      description: 'Deletes one of your tickets by id (like T-1001). This cannot be undone.',
      inputSchema: z.object({ id: z.string().describe('The ticket id, like T-1001') }),
      annotations: { destructiveHint: true, readOnlyHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ id }, ctx) => {
      const deleted = await tickets.delete(callerId(ctx), id.trim());
      return deleted ? text(`Deleted ticket ${id.trim()}.`) : failure(`You have no ticket with id "${id}".`);
    },
  );
}
