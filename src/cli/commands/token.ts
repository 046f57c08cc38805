/**
 * `mock-entra token`: mints an ID or access token offline (no server), with the claims and keys a
 * running mock uses, so unit tests of an API or a web app get a token that verifies against the
 * mock's JWKS. Fault rules of the scenario do not apply: nothing is requested.
 */
import type { CommandModule } from 'yargs';
import type { App, Tenant, User } from '../../directory/model.js';
import { isAssigned } from '../../directory/lookup.js';
import * as claims from '../../entra/claims.js';
import { EntraError } from '../../entra/errors.js';
import { issueJwtSync } from '../../issuance/funnel.js';
import type { JwtSignOptions } from '../../keys/signing.js';
import { loadKeys, type SigningKey } from '../../keys/store.js';
import { accessTokenFor, idTokenClaims } from '../../oidc/tokens.js';
import { resolveScopes } from '../../oidc/scopes.js';
import type { Scenario } from '../../scenario/schema.js';
import { federatedTokenCommand } from './token-federated.js';
import { appByName, DEFAULT_ORIGIN, type CliIo, loadTenant, originOf, UsageError, userByUpn } from '../common.js';
import { Origins } from '../../entra/urls.js';

interface TokenArgs {
  user?: string;
  app: string;
  scope: string[];
  type: 'id' | 'access';
  scenario?: string;
  'certs-dir': string;
  'issuer-origin': string;
  nonce?: string;
  json: boolean;
}

export interface MintInput {
  scenario: Scenario;
  tenant: Tenant;
  app: App;
  user?: User;
  scope: string;
  type: 'id' | 'access';
  origin: Origins;
  signing: SigningKey[];
  nonce?: string;
  now?: number;
}

/** The token a sign-in to this mock would give, built from the same claim functions. Throws UsageError on bad input. */
export function mintToken(i: MintInput): { token: string; header: Record<string, unknown>; claims: Record<string, unknown> } {
  const key = i.signing[i.scenario.keys.active - 1] ?? i.signing[0]!;
  const now = i.now ?? Math.floor(Date.now() / 1000);
  const clientAuth = i.app.publicClient && i.app.secrets.length === 0 ? '0' : '1';
  if (i.user && !isAssigned(i.app, i.user)) {
    throw new UsageError(`user '${i.user.upn}' is not assigned to '${i.app.name}' (assignmentRequired; Entra answers AADSTS50105): pick an assigned user or add it to the app's assignments`);
  }
  let payload: Record<string, unknown>;
  let sign: JwtSignOptions = {};
  try {
    if (i.type === 'id') {
      if (!i.user) throw new UsageError('an ID token needs --user');
      const scopes = resolveScopes(i.tenant, i.scope);
      payload = { ...idTokenClaims('v2', { origin: i.origin, tenant: i.tenant, client: i.app, user: i.user, scopes: new Set(['openid', ...scopes.oidc]), nonce: i.nonce }), ...(i.now ? claims.times(now, i.tenant.lifetimes.idToken) : {}) };
    } else {
      if (!i.user && !i.scope.trim()) throw new UsageError("an app-only access token needs --scope RESOURCE/.default (e.g. api://sample-api/.default), or name a --user");
      ({ payload, sign } = accessTokenFor({ origin: i.origin, tenant: i.tenant, client: i.app, user: i.user, scope: i.scope, clientAuth: i.user ? clientAuth : '1', now }));
    }
  } catch (err) {
    if (err instanceof EntraError) throw new UsageError(scopeHint(err, i.tenant));
    throw err;
  }
  // The funnel without a request: no fault effects apply (nothing was requested), signed once.
  const token = issueJwtSync({ kind: i.type === 'id' ? 'id_token' : 'access_token', claims: payload, sign, keys: [key] });
  const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { token, header, claims: payload };
}

/** Said when the token minted is a Microsoft Graph access token, which only Graph itself can verify. */
function graphTokenNote(tenant: Tenant, scoped: boolean): string {
  const api = tenant.apps.find((a) => a.api && !a.firstParty && a.api.scopes.length)?.api;
  return [
    `mock-entra: note: ${scoped ? 'these scopes give' : 'without --scope (openid profile email), this is'} a Microsoft Graph access token, as Entra gives: aud https://graph.microsoft.com and a nonce in its header,`,
    "  so only Graph accepts it (the mock's /v1.0/me does) and JWT libraries (jose, jsonwebtoken, Microsoft.Identity.Web) cannot verify its signature.",
    `  For a token an API verifies: ${api ? `--scope ${api.identifierUri}/${api.scopes[0]}` : "--scope <your API's App ID URI>/<scope>"}; for an ID token: --type id.`,
  ].join('\n');
}

/** Entra's error text, plus what this scenario offers instead. */
function scopeHint(err: EntraError, tenant: Tenant): string {
  const apis = tenant.apps
    .filter((a) => a.api && !a.firstParty)
    .map((a) => `${a.api!.identifierUri}/{${[...a.api!.scopes, '.default'].join(',')}}`)
    .join(', ');
  const what = err.code === 70011 ? 'unknown scope' : err.code === 500011 ? 'unknown resource' : err.code === 700022 ? 'scopes of more than one resource' : 'bad --scope';
  return `${what}: AADSTS${err.code}: ${err.text}\n  scopes in this scenario: openid profile email offline_access, Graph (User.Read …)${apis ? `, ${apis}` : ''}`;
}

export const tokenCommand = (io: CliIo): CommandModule<object, TokenArgs> => ({
  command: 'token',
  describe: 'Mint an ID or access token offline (no server), signed with the mock\'s keys — for unit tests',
  // The options are this command's own (global: false): `token federated` takes others.
  builder: (y) =>
    y
      .command(federatedTokenCommand(io))
      .option('user', { global: false, alias: 'u', type: 'string', describe: 'UPN of a scenario user (omit for an app-only access token)' })
      .option('app', { global: false, alias: 'a', type: 'string', demandOption: 'name the client app: --app NAME or CLIENT_ID', describe: 'the client app: name or client ID' })
      .option('scope', { global: false, type: 'string', array: true, default: [] as string[], defaultDescription: 'openid profile email with --user (a Graph token, as Entra gives)', describe: 'scopes, as a client sends them (repeat or space-separate)' })
      .option('type', { global: false, alias: 't', choices: ['id', 'access'] as const, default: 'access' as const, describe: 'ID token or access token' })
      .option('scenario', { global: false, alias: 's', type: 'string', describe: 'scenario file, or the name of a shipped one', defaultDescription: 'scenarios/default.yaml' })
      .option('certs-dir', { global: false, type: 'string', default: 'certs', describe: 'where the signing keys are kept (made on first use), as for serve' })
      .option('issuer-origin', { global: false, alias: 'origin', type: 'string', default: DEFAULT_ORIGIN, describe: 'the origin of the server whose issuer the token names' })
      .option('nonce', { global: false, type: 'string', describe: 'nonce claim of an ID token' })
      .option('json', { global: false, type: 'boolean', default: false, describe: 'print { token, header, claims } as JSON instead of the bare token' })
      .example('$0 token --user ada@contoso.onmicrosoft.com --app sample-web --scope api://sample-api/access_as_user', 'a v2 access token for sample-api (scp access_as_user)')
      .example('$0 token -u ada@contoso.onmicrosoft.com -a sample-web --type id', 'an ID token (openid profile email) for sample-web')
      .example('$0 token --app sample-web --scope api://sample-api/.default', 'an app-only token (roles Data.Read), as client credentials give')
      .example('$0 token -u ada@contoso.onmicrosoft.com -a sample-web --type id --issuer-origin https://localhost:53211 --json', 'for a mock on another port, with the decoded claims')
      .example('TOKEN=$($0 token -u ada@contoso.onmicrosoft.com -a sample-web --scope api://sample-api/access_as_user)', 'in a shell script')
      .example('$0 token federated --subject system:serviceaccount:default:workload --out /tmp/token', 'a workload identity token (see mock-entra token federated --help)') as never,
  handler: async (args) => {
    const origin = Origins.local(originOf(args['issuer-origin'], 'issuer-origin'));
    const { scenario, tenant } = await loadTenant(args.scenario);
    const app = appByName(tenant, args.app);
    const user = args.user === undefined ? undefined : userByUpn(tenant, args.user);
    if (!user && args.type === 'id') throw new UsageError('an ID token is for a user: add --user UPN');
    const given = args.scope.flatMap((s) => s.split(/\s+/)).filter(Boolean);
    const scope = (given.length ? given : user ? ['openid', 'profile', 'email'] : []).join(' ');
    const keys = await loadKeys({ certsDir: args['certs-dir'] });
    const minted = mintToken({ scenario, tenant, app, user, scope, type: args.type, origin, signing: keys.signing, nonce: args.nonce });
    io.stdout(args.json ? `${JSON.stringify(minted, null, 2)}\n` : `${minted.token}\n`);
    // Entra's token for OIDC scopes alone is Graph's: a nonce in its header that only Graph undoes, so no JWT library verifies it.
    if (minted.header.nonce !== undefined) io.stderr(`${graphTokenNote(tenant, given.length > 0)}\n`);
  },
});
