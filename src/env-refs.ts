/**
 * `${VAR}` references in configuration values, resolved from the environment the entry point
 * passed in — one implementation for every place a config file may hold a secret or an address
 * (headers, env, url, args…). Forms: `${VAR}`; `${VAR:-default}` (the default when VAR is unset
 * or empty, as in POSIX shells); VS Code's `${env:VAR}`; `$${` for a literal `${`.
 */

type Env = Record<string, string | undefined>;

const REF = /\$\$\{|\$\{([^}]*)\}/g;

/**
 * Replaces `${VAR}`, `${VAR:-default}` (the default when VAR is unset or empty) and `${env:VAR}`
 * in `value` from `env`; `$${` stays a literal `${`. Throws a sentence naming the variable when
 * one is unset and has no default.
 */
export function resolveEnvRefs(value: string, env: Env): string {
  return value.replace(REF, (whole, inner: string | undefined) => {
    if (inner === undefined) return '${';
    const m = /^(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(inner);
    if (!m) {
      if (inner.startsWith('input:'))
        throw new Error(
          `${whole} asks VS Code to prompt for a value; Parley reads the environment instead: use \${VAR}`,
        );
      throw new Error(`${whole} is not a variable reference (use \${VAR} or \${VAR:-default})`);
    }
    const [, name, fallback] = m as unknown as [string, string, string | undefined];
    const set = env[name];
    if (fallback !== undefined) return set ? set : fallback;
    if (set === undefined)
      throw new Error(
        `${whole}: the environment variable ${name} is not set (\${${name}:-…} gives a default)`,
      );
    return set;
  });
}

/**
 * Every string inside `value` (arrays and objects walked) with its references resolved. A
 * reference that can't be resolved is reported through `problem(path, sentence)` and its string
 * kept as it was, so every problem in a file is reported at once. `join` builds a child's path.
 */
export function resolveEnvRefsDeep(
  value: unknown,
  env: Env,
  path: string,
  problem: (path: string, message: string) => void,
  join: (base: string, key: string | number) => string,
): unknown {
  if (typeof value === 'string') {
    try {
      return resolveEnvRefs(value, env);
    } catch (err) {
      problem(path, (err as Error).message);
      return value;
    }
  }
  if (Array.isArray(value))
    return value.map((v, i) => resolveEnvRefsDeep(v, env, join(path, i), problem, join));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveEnvRefsDeep(v, env, join(path, k), problem, join)]),
    );
  return value;
}
