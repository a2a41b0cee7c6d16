// @defer as the clients that use it read it: meros (the multipart parser
// urql and Relay use; Apollo Client speaks the same deferSpec=20220824) over
// fetch, and graphql-ws over a websocket, both unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meros } from 'meros/browser';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { gatewayUrl, graphql } from './stack.mjs';

// vendor has a resolver, so the gateway defers it; systemId it has at hand.
const query = `{ systems(first: 2) { edges { node { systemId ... @defer(label: "vendor") { vendor { orgNumber } } } } } }`;

// deliveredVendors checks the incremental payloads that follow the first and
// returns the vendors they carry, by edge index.
function deliveredVendors(payloads) {
  const vendors = new Map();
  for (const p of payloads) {
    for (const inc of p.incremental ?? []) {
      assert.equal(inc.label, 'vendor');
      assert.deepEqual(inc.path.slice(0, 2), ['systems', 'edges']);
      assert.equal(inc.path[3], 'node');
      assert.match(inc.data.vendor.orgNumber, /^\d{9}$/);
      vendors.set(inc.path[2], inc.data.vendor.orgNumber);
    }
  }
  return vendors;
}

function checkFirst(first) {
  assert.equal(first.errors, undefined, JSON.stringify(first.errors));
  assert.equal(first.hasNext, true);
  const edges = first.data.systems.edges;
  assert.ok(edges.length > 0);
  for (const e of edges) {
    assert.equal(typeof e.node.systemId, 'string');
    // gqlgen leaves a null where a deferred field will go; the value itself
    // must wait for its own payload.
    assert.ok(e.node.vendor === undefined || e.node.vendor === null, `the deferred vendor came first: ${JSON.stringify(e.node)}`);
  }
  return edges.length;
}

test('meros: @defer over multipart/mixed, the systems first, then each vendor', async () => {
  const res = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824, application/json' },
    body: JSON.stringify({ query }),
  });
  assert.equal(res.status, 200);
  const parts = await meros(res);
  assert.ok(!(parts instanceof Response), `not multipart: ${res.headers.get('content-type')}`);
  const payloads = [];
  for await (const part of parts) {
    assert.ok(part.json, `a part that is not JSON: ${part.body}`);
    payloads.push(part.body);
  }
  const edges = checkFirst(payloads[0]);
  assert.equal(payloads.at(-1).hasNext, false);
  assert.equal(deliveredVendors(payloads.slice(1)).size, edges);
});

test('a plain POST refuses @defer rather than drop the deferred fields', async () => {
  const out = await graphql(query);
  assert.equal(out.hasNext, undefined);
  assert.equal(out.data, null);
  assert.equal(out.errors?.[0]?.extensions?.code, 'INCREMENTAL_DELIVERY_REQUIRED', JSON.stringify(out));
});

test('graphql-ws: @defer over a websocket, one next message a payload', async () => {
  const ws = createClient({ url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
  try {
    const payloads = [];
    for await (const result of ws.iterate({ query })) payloads.push(result);
    const edges = checkFirst(payloads[0]);
    assert.equal(deliveredVendors(payloads.slice(1)).size, edges);
  } finally {
    await ws.dispose();
  }
});
