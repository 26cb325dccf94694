/**
 * The shape of one MCP server entry and of the server list file, as zod schemas: Parley's own
 * entry (`url` or `command`, auth, tool allow/deny lists), the entries other tools write
 * (`mcpServers`, VS Code's `servers`), and the JSON Schema editors see through `$schema`
 * (`src/parley.config.schema.json`, generated from {@link configFileSchema}). Reading and
 * checking a file against them is config-file.ts.
 */
import { z } from 'zod';

const serverName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,23}$/, 'use 1–24 lowercase letters, digits, "-" or "_"')
  .describe('1–24 lowercase letters, digits, "-" or "_"; tools are offered as <name>__<tool>.');

const authSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none') }).strict(),
    z
      .object({
        type: z.literal('oauth'),
        /** For authorization servers without dynamic client registration. */
        clientId: z.string().min(1).optional(),
        clientSecret: z.string().min(1).optional(),
        scope: z.string().optional(),
      })
      .strict(),
    z.object({ type: z.literal('headers'), headers: z.record(z.string(), z.string()) }).strict(),
    // One service identity for everyone (OAuth client credentials grant); no per-person sign-in.
    z
      .object({
        type: z.literal('client_credentials'),
        clientId: z.string().min(1),
        clientSecret: z.string().min(1).optional(),
        /** PEM (PKCS#8) private key for `private_key_jwt` (RFC 7523 §2.2). */
        privateKey: z.string().min(1).optional(),
        algorithm: z.string().default('RS256'),
        method: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']).optional(),
        scope: z.string().optional(),
        /** The authorization server these credentials belong to; they are sent to no other. */
        issuer: z.url().optional(),
      })
      .strict()
      .refine((a) => Boolean(a.clientSecret) !== Boolean(a.privateKey), {
        message: 'give either clientSecret or privateKey',
      })
      .refine(
        (a) =>
          a.method === 'private_key_jwt' ? Boolean(a.privateKey) : !a.method || Boolean(a.clientSecret),
        {
          message:
            'private_key_jwt needs privateKey; client_secret_basic and client_secret_post need clientSecret',
        },
      ),
    // Enterprise-managed authorization (MCP "cross-app access", SEP-990): the person's identity
    // assertion from the company IdP is exchanged for an ID-JAG, then for an access token.
    z
      .object({
        type: z.literal('enterprise'),
        clientId: z.string().min(1),
        clientSecret: z.string().min(1),
        scope: z.string().optional(),
        issuer: z.url().optional(),
        idp: z.object({
          issuer: z.url(),
          /** Found through the IdP's metadata when not given. */
          tokenEndpoint: z.url().optional(),
          clientId: z.string().min(1),
          clientSecret: z.string().min(1).optional(),
        }),
      })
      .strict(),
  ])
  .describe(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} for the reader
    'How Parley authenticates: none, OAuth per chat user (sign-in), fixed headers, one service identity (client_credentials), or enterprise-managed (cross-app access). ${VAR} works in values.',
  );

const common = {
  name: serverName,
  title: z.string().optional().describe('Display name.'),
  auth: authSchema.default({ type: 'none' }),
  tools: z
    .object({ allow: z.array(z.string()).optional(), deny: z.array(z.string()).optional() })
    .strict()
    .default({})
    .describe('Tool names to offer only (allow) or never (deny).'),
  /**
   * Protocol era: 'auto' negotiates 2026-07-28 when the server offers it; 'legacy' speaks
   * 2025-11-25 only (for servers that mishandle the negotiation probe).
   */
  era: z
    .enum(['auto', 'legacy'])
    .default('auto')
    .describe('auto: 2026-07-28 when the server offers it; legacy: 2025-11-25 only.'),
  /** Per-server time limits (ms); unset ones take Parley's defaults. */
  timeouts: z
    .object({
      connectMs: z.number().int().min(100).optional().describe('Connecting (initialize). Default 15000.'),
      requestMs: z
        .number()
        .int()
        .min(100)
        .optional()
        .describe(
          'One tool call, not counting time a person spends answering. Default MCP_REQUEST_TIMEOUT_MS.',
        ),
      listMs: z
        .number()
        .int()
        .min(100)
        .optional()
        .describe(
          'Listing tools (connecting included) before a turn goes on without the server. Default 3000.',
        ),
    })
    .strict()
    .optional()
    .describe('Time limits in milliseconds; a server that misses one is skipped for a while.'),
  /** When to ask the person before a tool runs. */
  confirm: z
    .enum(['always', 'never', 'destructive'])
    .default('destructive')
    .describe('When to ask the person before a tool runs.'),
};

export const httpServerSchema = z
  .object({ ...common, url: z.url().describe('The Streamable HTTP endpoint.') })
  .strict();
export const stdioServerSchema = z
  .object({
    ...common,
    command: z.string().min(1).describe('The program that runs the server over stdio.'),
    args: z.array(z.string()).default([]),
    /** The server's whole environment beyond PATH, HOME and the like: Parley's own is not passed on. */
    env: z.record(z.string(), z.string()).default({}).describe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} for the reader
      'The server’s environment beyond PATH, HOME and the like; Parley’s own is not passed on. Use ${VAR}.',
    ),
    cwd: z.string().optional().describe('Working directory.'),
  })
  .strict();
export const serverSchema = z.union([httpServerSchema, stdioServerSchema]);

export type ServerConfig = z.infer<typeof serverSchema>;
export type HttpServerConfig = z.infer<typeof httpServerSchema>;
export type StdioServerConfig = z.infer<typeof stdioServerSchema>;

/** Keys other tools write in their entries that mean nothing to Parley; they are ignored. */
export const FOREIGN_KEYS = [
  'type',
  'disabled',
  'alwaysAllow',
  'autoApprove',
  'timeout',
  'description',
  'transportType',
];

/** An entry of `mcpServers` or VS Code's `servers` object: their fields plus Parley's own. */
export const foreignEntrySchema = z
  .object({
    type: z.enum(['stdio', 'http', 'streamable-http', 'sse']).optional(),
    command: z.string().optional(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    url: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    disabled: z.boolean().optional(),
    // Parley's own fields, allowed here too; their defaults apply when the entry is read.
    title: common.title,
    auth: authSchema.optional(),
    tools: common.tools.unwrap().optional(),
    era: common.era.unwrap().optional(),
    confirm: common.confirm.unwrap().optional(),
    timeouts: common.timeouts,
  })
  .loose();

/** The file's schema, as editors see it through `$schema` (JSON Schema generated from this). */
export const configFileSchema = z.union([
  z
    .object({
      $schema: z.string().optional(),
      servers: z.array(serverSchema).min(1),
    })
    .strict()
    .describe('Parley’s own form: a list of servers.'),
  z
    .object({
      $schema: z.string().optional(),
      mcpServers: z.record(z.string(), foreignEntrySchema),
    })
    .describe('The form Claude Desktop, Claude Code and Cursor use (.mcp.json).'),
]);

/** The JSON Schema committed as src/parley.config.schema.json (a test keeps the two equal). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configFileSchema, {
      io: 'input',
      unrepresentable: 'any',
      // "${BASE_URL}/mcp" is a valid value before it is resolved: editors must not flag it.
      override: (ctx) => {
        if (ctx.jsonSchema.format === 'uri') delete ctx.jsonSchema.format;
      },
    }),
    title: 'Parley MCP server list (parley.config.json)',
  };
}
