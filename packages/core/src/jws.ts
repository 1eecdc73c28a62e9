import { createHmac, type KeyObject } from 'node:crypto';

/**
 * Compact JWS signing with HS256 on node:crypto. The header segment is encoded once per
 * signer; each call serialises the payload and runs one HMAC: the hot path of the product.
 */
export type Hs256Signer = (payload: object) => string;

const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export function createHs256Signer(key: KeyObject): Hs256Signer {
  const prefix = `${HS256_HEADER}.`;
  return (payload) => {
    const signingInput = prefix + Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
  };
}
