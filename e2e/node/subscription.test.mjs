// graphql-ws, unchanged: the graphql-transport-ws handshake with the token
// in connection_init, a subscription that sees the request approved, and a
// system-user token for the new system user, verified by jose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { assertion } from './grant.mjs';
import { clientKey, demo, gatewayUrl, graphql, issuer, personToken } from './stack.mjs';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

async function vendorToken(claims) {
  const config = await client.discovery(new URL(issuer), demo.clientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests], algorithm: 'oauth2',
  });
  const key = { clientId: demo.clientId, ...(await clientKey(demo.clientKeyFile)) };
  const grant = await assertion(key, claims, { jti: true });
  return { config, tokens: await client.genericGrantRequest(config, JWT_BEARER, { assertion: grant }) };
}

test('graphql-ws: handshake, a subscription sees the approval, then a system-user token', async () => {
  const { tokens: vendor } = await vendorToken({
    scope: 'altinn:authentication/systemuser.request.write altinn:authentication/systemuser.request.read',
  });
  const externalRef = `node-${Date.now()}`;
  const created = await graphql(`mutation($in: CreateSystemUserRequestInput!) {
      createSystemUserRequest(input: $in) { request { id requestId status } } }`, {
    in: {
      systemId: demo.systemId, partyOrgNumber: demo.customerOrgNumber, externalRef,
      rights: [{ resource: demo.resourceId, action: demo.action }],
    },
  }, vendor.access_token);
  assert.equal(created.errors, undefined, JSON.stringify(created.errors));
  const request = created.data.createSystemUserRequest.request;

  let acked = false;
  const ws = createClient({
    url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${vendor.access_token}` },
    retryAttempts: 0,
    on: { connected: () => { acked = true; } },
  });
  try {
    const statuses = [];
    const sub = ws.iterate({
      query: 'subscription($id: ID!) { requestStatusChanged(id: $id) { status } }',
      variables: { id: request.id },
    });
    for await (const result of sub) {
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      statuses.push(result.data.requestStatusChanged.status);
      if (statuses.length === 1) {
        // The first value is the current status; now approve.
        assert.equal(statuses[0], 'NEW');
        const approved = await graphql('mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }',
          { id: request.requestId }, await personToken(demo.adminPid));
        assert.equal(approved.errors, undefined, JSON.stringify(approved.errors));
      }
      if (statuses.at(-1) === 'ACCEPTED') break;
    }
    assert.ok(acked, 'connection_ack before any result');
    assert.deepEqual([statuses[0], statuses.at(-1)], ['NEW', 'ACCEPTED']);
  } finally {
    await ws.dispose();
  }

  // The vendor's software now gets a system-user token naming it.
  const { config, tokens } = await vendorToken({
    scope: 'skatteetaten:krav',
    authorization_details: [{
      type: 'urn:altinn:systemuser',
      systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${demo.customerOrgNumber}` },
      externalRef,
    }],
  });
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer, algorithms: ['RS256'] });
  const [detail] = payload.authorization_details;
  assert.deepEqual(detail.systemuser_id, [request.requestId]);
  assert.equal(detail.system_id, demo.systemId);
});
