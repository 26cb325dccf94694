/** Sign-in (OAuth for MCP servers, per chat user). See signin.ts for the shape of it. */
export type { CallbackResult, SignInOutcome } from './callback.js';
export { SecretBox } from './crypto.js';
export { type CookieJar, type FollowOptions, type FollowResult, followSignInLink } from './headless.js';
export type { SignInRequest } from './link.js';
export type { OAuthServerConfig } from './provider.js';
export { mountSignInRoutes, type SignInRoutesDeps } from './routes.js';
export { loadSignInSecret, type SignInSecret } from './secret.js';
export { type CreateSignInOptions, createSecretBox, createSignIn } from './setup.js';
export { isSignInRequired } from './sign-in-errors.js';
export { SignInService, type SignInServiceOptions } from './signin.js';
export { type SignInFlow, SignInVault, type SignInWaiter, type StoredTokens } from './vault.js';
