// The running stack the suite drives, as `systemuser dev` describes it in
// demo.json (SYSTEMUSER_DEMO_FILE; cmd/systemuser's node_test.go writes one
// for a stack it starts on free ports).
import { readFileSync } from 'node:fs';
import { importJWK } from 'jose';

const file = process.env.SYSTEMUSER_DEMO_FILE ?? '../../.systemuser/demo.json';
export const demo = JSON.parse(readFileSync(file, 'utf8'));
export const gatewayUrl = demo.gatewayUrl.replace(/\/$/, '');
export const simulatorUrl = demo.simulatorUrl.replace(/\/$/, '');
// The issuer is the simulator URL with a trailing slash (its metadata says so).
export const issuer = `${simulatorUrl}/`;

export async function clientKey(path) {
  const jwk = JSON.parse(readFileSync(path, 'utf8'));
  return { key: await importJWK(jwk, jwk.alg ?? 'RS256'), kid: jwk.kid, alg: jwk.alg ?? 'RS256' };
}

export async function graphql(query, variables, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST', headers, body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

export async function personToken(pid) {
  const res = await fetch(`${simulatorUrl}/person-token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pid }),
  });
  if (res.status !== 200) throw new Error(`person token: ${res.status} ${await res.text()}`);
  return (await res.json()).access_token;
}
