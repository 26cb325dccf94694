/**
 * Tools that need OAuth sign-in. The HTTP layer refuses these calls without a token (401/403
 * challenge); the checks here cover stdio, where there is no token at all.
 */
import { z } from 'zod';
import { oauthSubject } from '../identity.js';
import { formatTicket } from '../tickets.js';
import { signInNeeded, type ToolKit, text } from './kit.js';

/** Registers these tools on the kit's server instance. */
export function registerSignedInTools(kit: ToolKit): void {
  const { server } = kit;
  const { tickets } = kit.deps;
  // The HTTP layer refuses these calls without a token (401/403 challenge); the checks here cover
  // stdio, where there is no token at all.

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Tells which signed-in user is calling (needs OAuth, scope tickets:read).',
      annotations: { readOnlyHint: true },
    },
    async (ctx) => {
      const user = oauthSubject(ctx.http?.authInfo);
      return user ? text(user) : signInNeeded('whoami');
    },
  );

  server.registerTool(
    'list_my_tickets',
    {
      title: 'List my tickets',
      description: "Lists the signed-in user's tickets (needs OAuth, scope tickets:read).",
      annotations: { readOnlyHint: true },
    },
    async (ctx) => {
      const user = oauthSubject(ctx.http?.authInfo);
      if (!user) return signInNeeded('list_my_tickets');
      const mine = await tickets.list(user);
      return {
        content: [
          {
            type: 'text',
            text: mine.length === 0 ? 'You have no tickets.' : mine.map(formatTicket).join('\n'),
          },
        ],
        structuredContent: { tickets: mine },
      };
    },
  );

  server.registerTool(
    'add_my_ticket',
    {
      title: 'Add my ticket',
      description: 'Adds a ticket owned by the signed-in user (needs OAuth, scope tickets:write).',
      inputSchema: z.object({ description: z.string().min(1).describe('What the ticket is about') }),
    },
    async ({ description }, ctx) => {
      const user = oauthSubject(ctx.http?.authInfo);
      if (!user) return signInNeeded('add_my_ticket');
      const ticket = await tickets.create(user, { description });
      return text(`Added ticket ${ticket.id} for ${user}: ${description}`);
    },
  );
}
