// A stand-in for VNeID / the provincial app: the real `oidc-provider` (panva) on loopback,
// with its built-in development login and consent pages.
//
// usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
//   (or the environment: OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI)
// PORT 0 lets the system choose. Once listening, prints one JSON line on stdout:
//   {"ready":true,"issuer":"http://127.0.0.1:PORT","port":PORT}
// and exits when stdin closes (the test holds it open), so no provider outlives its test.
//
// Accounts, keyed by the login typed into the form (any password):
//   046190000001  identity_level 2 (number)   — accepted by kyso
//   046190000002  identity_level 1 (number)   — refused: level too low
//   046190000003  identity_level "level2"     — accepted: string form
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

// stdout carries only the ready line: the library's notices (console.log/info) go to stderr.
console.log = console.error;
console.info = console.error;

const arg = (i, name) => process.argv[2 + i] ?? process.env[name];
const port = Number(arg(0, 'OIDC_PORT') ?? '0');
const clientId = arg(1, 'OIDC_CLIENT_ID');
const clientSecret = arg(2, 'OIDC_CLIENT_SECRET');
const redirectUri = arg(3, 'OIDC_REDIRECT_URI');
if (!Number.isInteger(port) || !clientId || !clientSecret || !redirectUri) {
  console.error('usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI');
  process.exit(2);
}

const ACCOUNTS = {
  '046190000001': {
    cccd: '046190000001', name: 'Nguyễn Văn An', birthdate: '1990-01-15', identity_level: 2,
  },
  '046190000002': {
    cccd: '046190000002', name: 'Trần Thị Bình', birthdate: '1985-06-30', identity_level: 1,
  },
  '046190000003': {
    cccd: '046190000003', name: 'Lê Minh Châu', birthdate: '2001-12-02', identity_level: 'level2',
  },
};

// A fresh RS256 signing key for each run (not the library's published development keys).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `rsa-${randomBytes(6).toString('hex')}`, use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  const issuer = `http://127.0.0.1:${actual}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      // 'web' (the default) accepts http redirect URIs; kyso is a confidential web client.
      application_type: 'web',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    }],
    // Confidential clients are not required to use PKCE by default: require it here.
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      profile: ['name', 'birthdate'],
      vneid: ['cccd', 'identity_level'],
    },
    // By default the ID token from the token endpoint carries only `sub`; the scope's
    // claims would be at the userinfo endpoint. kyso reads them from the ID token.
    conformIdTokenClaims: false,
    async findAccount(ctx, id) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...account }; } };
    },
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: { devInteractions: { enabled: true } },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ ready: true, issuer, port: actual })}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
