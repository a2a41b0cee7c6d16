// A Maskinporten JWT-bearer grant built the way authlib and Nimbus build it:
// the client's key signs {aud, iss, scope, iat, exp = iat + 120}, kid in
// the header, and (their default) no jti.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { issuer } from './stack.mjs';

export async function assertion({ clientId, key, kid, alg }, claims = {}, { jti = false } = {}) {
  const iat = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ scope: claims.scope, ...claims })
    .setProtectedHeader({ alg, kid })
    .setIssuer(clientId)
    .setAudience(issuer)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 120);
  if (jti) jwt.setJti(randomUUID());
  return jwt.sign(key);
}
