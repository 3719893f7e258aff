/**
 * JWT bearer authentication (the seed's Better Auth tokens: HS256 with `sub`, `email`, `name`, 24 h expiry).
 *
 * @module
 */
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ApiError } from './errors.js';

/** The claims the API uses. */
export interface UserClaims {
  readonly sub: string;
  readonly email?: string;
  readonly name?: string;
}

const encoder = new TextEncoder();

/**
 * The secret as key bytes; refuses short secrets (HS256 wants at least 32 bytes).
 *
 * @example
 * ```ts
 * const key = jwtKey(process.env.JWT_SECRET ?? 'dev-only-secret-change-me-please-32b');
 * ```
 */
export function jwtKey(secret: string): Uint8Array {
  const key = encoder.encode(secret);
  if (key.length < 32) throw new Error('JWT_SECRET must be at least 32 bytes');
  return key;
}

/**
 * Verifies `Authorization: Bearer <jwt>`: signature (HS256), expiry and a non-empty `sub`. Rejects with a 401
 * `ApiError` whose message says what was wrong, never echoing the token.
 *
 * @example
 * ```ts
 * const claims = await verifyBearer(request.headers.authorization, key);
 * ```
 */
export async function verifyBearer(header: string | undefined, key: Uint8Array): Promise<UserClaims> {
  if (header === undefined || header === '') {
    throw new ApiError('UNAUTHORIZED', 'Missing bearer token', { header: 'Authorization' });
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match === null) {
    throw new ApiError('UNAUTHORIZED', 'Authorization header must be "Bearer <token>"', {
      header: 'Authorization',
    });
  }
  try {
    const { payload } = await jwtVerify(match[1]!, key, { algorithms: ['HS256'] });
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new ApiError('UNAUTHORIZED', 'Token has no subject', { claim: 'sub' });
    }
    return {
      sub: payload.sub,
      ...(typeof payload.email === 'string' ? { email: payload.email } : {}),
      ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
    };
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const reason = error instanceof joseErrors.JWTExpired ? 'Token expired' : 'Invalid token';
    throw new ApiError('UNAUTHORIZED', reason, { header: 'Authorization' });
  }
}

/**
 * Signs a token as the seed's auth service would: HS256, `sub`, `email`, `name`, expiring in `expiresIn`
 * (default 24 h). For local runs and tests.
 *
 * @example
 * ```ts
 * const token = await signUserToken(key, { sub: 'user-1', email: 'ada@example.com', name: 'Ada' });
 * ```
 */
export function signUserToken(
  key: Uint8Array,
  claims: UserClaims,
  expiresIn: string | number = '24h',
): Promise<string> {
  return new SignJWT({
    ...(claims.email === undefined ? {} : { email: claims.email }),
    ...(claims.name === undefined ? {} : { name: claims.name }),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key);
}
