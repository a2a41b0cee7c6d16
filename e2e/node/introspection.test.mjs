// graphql-js, unchanged: the standard introspection document with every
// option, buildClientSchema, and the served SDL describing the same schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildClientSchema, buildSchema, getIntrospectionQuery, isSpecifiedScalarType, lexicographicSortSchema, printType,
} from 'graphql';
import { gatewayUrl, graphql } from './stack.mjs';

const allOptions = {
  descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true,
  schemaDescription: true, inputValueDeprecation: true, oneOf: true,
};

test('getIntrospectionQuery with every option answers a complete schema', async () => {
  const res = await graphql(getIntrospectionQuery(allOptions));
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  const schema = buildClientSchema(res.data);
  const query = schema.getQueryType();
  assert.equal(query.name, 'Query');
  for (const f of ['systems', 'systemUsers', 'node', 'resources']) {
    assert.ok(query.getFields()[f], `Query.${f}`);
  }
  assert.ok(schema.getMutationType().getFields().approveSystemUserRequest);
  assert.ok(schema.getSubscriptionType().getFields().requestStatusChanged);
});

test('the SDL at /graphql/schema.graphql is the introspected schema', async () => {
  const res = await fetch(`${gatewayUrl}/graphql/schema.graphql`);
  assert.equal(res.status, 200);
  const fromSDL = lexicographicSortSchema(buildSchema(await res.text()));
  const introspected = lexicographicSortSchema(buildClientSchema((await graphql(getIntrospectionQuery(allOptions))).data));
  // gqlgen introspects every standard scalar; graphql-js builds only the
  // ones the SDL uses (Float is unused): compare the rest.
  const types = (s) => Object.values(s.getTypeMap())
    .filter((t) => !t.name.startsWith('__') && !(isSpecifiedScalarType(t)));
  assert.deepEqual(types(fromSDL).map((t) => t.name), types(introspected).map((t) => t.name));
  for (const t of types(introspected)) {
    assert.equal(printType(fromSDL.getType(t.name)), printType(t), `type ${t.name}`);
  }
});
