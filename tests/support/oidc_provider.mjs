// A real OpenID provider for the sign-in tests: the certified oidc-provider package, serving
// accounts whose claims have the shape NHS CIS2 gives (tests/support/oidc_accounts.json).
//
//   node tests/support/oidc_provider.mjs --port 4000 --issuer http://127.0.0.1:4000 \
//     --client '{"client_id": "a", "client_secret": "s", "redirect_uri": "https://rp/cb"}'
//
// --client may be repeated (each may add "token_endpoint_auth_method"); the same values can come
// from OIDC_PORT, OIDC_ISSUER and OIDC_CLIENT. Sign-in uses the package's development pages:
// type an account's login (a key of the accounts file) and any password, then confirm.
// For tests only: it listens on 127.0.0.1 and its keys live as long as the process.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.OIDC_PORT },
    issuer: { type: 'string', default: process.env.OIDC_ISSUER },
    client: {
      type: 'string',
      multiple: true,
      default: process.env.OIDC_CLIENT ? [process.env.OIDC_CLIENT] : [],
    },
    accounts: {
      type: 'string',
      default: new URL('./oidc_accounts.json', import.meta.url).pathname,
    },
  },
});
if (!args.port || !args.issuer || args.client.length === 0) {
  console.error('usage: oidc_provider.mjs --port PORT --issuer URL --client JSON [--client JSON]');
  process.exit(2);
}

const byLogin = JSON.parse(readFileSync(args.accounts, 'utf8'));
const bySubject = new Map(Object.values(byLogin).map((account) => [account.sub, account]));

function registration(text) {
  const client = JSON.parse(text);
  return {
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: [client.redirect_uri],
    token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_basic',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  };
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
}

async function findAccount(ctx, sub) {
  const account = bySubject.get(sub);
  if (!account) return undefined;
  const { acr, ...claims } = account; // acr belongs to the sign-in, not the account
  return { accountId: sub, claims: async () => claims };
}

const minutes = (n) => n * 60;
const provider = new Provider(args.issuer, {
  clients: args.client.map(registration),
  findAccount,
  jwks: { keys: [signingKey()] },
  claims: {
    openid: ['sub', 'acr', 'auth_time'], // acr in every ID token, as CIS2 sends it
    profile: ['name', 'given_name', 'family_name'],
    nationalrbacaccess: ['nhsid_nrbac_roles', 'selected_roleid'],
  },
  acrValues: ['AAL1_USERPASS', 'AAL2_OR_AAL3_ANY', 'AAL3_ANY'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: [randomUUID()] },
  ttl: {
    AccessToken: minutes(10),
    AuthorizationCode: minutes(1),
    IdToken: minutes(10),
    Interaction: minutes(10),
    Session: minutes(10),
    Grant: minutes(10),
  },
});

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The development login page accepts any login; this one knows the accounts, and records how
// each signed in (acr: a smartcard, or a password) as CIS2 does.
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
  const { prompt } = await provider.interactionDetails(ctx.req, ctx.res);
  if (prompt.name !== 'login') return next();
  const account = byLogin[(await formBody(ctx.req)).get('login')];
  if (!account) {
    ctx.status = 401;
    ctx.body = 'no such account';
    return undefined;
  }
  const login = { accountId: account.sub, ...(account.acr ? { acr: account.acr } : {}) };
  ctx.respond = false;
  return provider.interactionFinished(ctx.req, ctx.res, { login }, {
    mergeWithLastSubmission: false,
  });
});

provider.listen(Number(args.port), '127.0.0.1');
