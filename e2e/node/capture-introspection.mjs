// Writes the introspection documents real tools send, verbatim, for the Go
// tests in gateway/ (gateway/testdata/introspection/). Run it again after
// changing the pinned graphql versions: npm run capture-introspection.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getIntrospectionQuery, version } from 'graphql';
import * as graphiqlGraphql from 'graphql-graphiql';

const require = createRequire(import.meta.url);
const out = new URL('../../gateway/testdata/introspection/', import.meta.url);
const graphiqlVersion = require('graphql-graphiql/package.json').version;

const documents = {
  // graphql-js with every option on: what graphql-codegen, get-graphql-schema
  // and Apollo's tooling send when asked for everything.
  [`graphql-js-${version}-all-options.graphql`]: getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
    oneOf: true,
  }),
  // graphql-js defaults: what most clients send.
  [`graphql-js-${version}-defaults.graphql`]: getIntrospectionQuery(),
  // GraphiQL 4.1.2 bundles graphql 16.11.0 and calls getIntrospectionQuery
  // with inputValueDeprecation and schemaDescription unset, operation name
  // IntrospectionQuery.
  [`graphiql-4.1.2-graphql-js-${graphiqlVersion}.graphql`]: graphiqlGraphql.getIntrospectionQuery({
    inputValueDeprecation: undefined,
    schemaDescription: undefined,
  }),
};
for (const [name, doc] of Object.entries(documents)) {
  writeFileSync(new URL(name, out), doc);
  console.log(`wrote gateway/testdata/introspection/${name}`);
}
