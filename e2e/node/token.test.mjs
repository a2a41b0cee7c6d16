// openid-client discovers the simulator from its metadata and sends the
// JWT-bearer grant; jose verifies the issued token from the advertised
// jwks_uri. Nothing here is ours but the URLs and the demo client's key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { assertion } from './grant.mjs';
import { clientKey, demo, issuer } from './stack.mjs';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const scope = 'altinn:authentication/systemuser.request.read';

async function discover() {
  // Strict: the metadata's issuer must equal the URL we were given.
  return client.discovery(new URL(issuer), demo.clientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests], algorithm: 'oauth2',
  });
}

async function vendorKey() {
  return { clientId: demo.clientId, ...(await clientKey(demo.clientKeyFile)) };
}

async function verifyIssued(config, accessToken) {
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(accessToken, jwks, { issuer, algorithms: ['RS256'] });
  assert.ok(protectedHeader.kid, 'kid in the token header');
  assert.equal(payload.client_id, demo.clientId);
  assert.equal(payload.consumer.ID, `0192:${demo.vendorOrgNumber}`);
  assert.equal(payload.scope, scope);
  return payload;
}

test('a grant with jti gets a token jose verifies from jwks_uri, and is single-use', async () => {
  const config = await discover();
  const grant = await assertion(await vendorKey(), { scope }, { jti: true });
  const tokens = await client.genericGrantRequest(config, JWT_BEARER, { assertion: grant });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.equal(typeof tokens.expires_in, 'number');
  await verifyIssued(config, tokens.access_token);
  await assert.rejects(client.genericGrantRequest(config, JWT_BEARER, { assertion: grant }),
    (err) => err.error === 'invalid_grant', 'the same assertion again');
});

// Maskinporten marks jti as Recommended, and authlib and Nimbus leave it
// out: the simulator detects the replay by a hash of the assertion.
test('a grant without jti (authlib, Nimbus) gets a token; its replay does not', async () => {
  const config = await discover();
  const grant = await assertion(await vendorKey(), { scope });
  const tokens = await client.genericGrantRequest(config, JWT_BEARER, { assertion: grant });
  await verifyIssued(config, tokens.access_token);
  await assert.rejects(client.genericGrantRequest(config, JWT_BEARER, { assertion: grant }),
    (err) => err.error === 'invalid_grant' && /used before/i.test(err.error_description ?? ''), 'the same assertion again');
});
