import { generateSecret } from '@roomkey/core';
import { describe, expect, it } from 'vitest';
import { bearerOptions, type ConfigError, loadServiceConfig, type OidcSettings } from '../src/config/service-config.js';
import { roleFromClaims } from '../src/service/identity.js';
import { createServiceKey, hashServiceKey, matchServiceKey } from '../src/service/service-keys.js';

const DEFAULT_MAP = {
  subscriber: 'subscriber',
  'publisher-only': 'publisher-only',
  publisher: 'publisher',
  moderator: 'moderator',
} as const;

describe('roles from OIDC claims (the documented rule)', () => {
  const settings = { rolesClaim: ['roles'], roleMap: DEFAULT_MAP, defaultRole: undefined };
  it.each([
    ['an array of roomkey roles: their join', { roles: ['subscriber', 'moderator', 'publisher'] }, 'moderator'],
    ['a space-separated string', { roles: 'subscriber publisher' }, 'publisher'],
    [
      'a comma-separated string; publisher-only and subscriber join to publisher',
      { roles: 'publisher-only,subscriber' },
      'publisher',
    ],
    ['publisher-only alone', { roles: ['publisher-only'] }, 'publisher-only'],
    ['unknown names only', { roles: ['admin', 'root'] }, undefined],
    ['no claim', {}, undefined],
    ['a claim of another type', { roles: 7 }, undefined],
  ])('%s', (_name, claims, role) => {
    expect(roleFromClaims(claims, settings)).toBe(role);
  });

  it('follows a path into nested claims, maps names, and falls back to defaultRole', () => {
    const keycloak = {
      rolesClaim: ['realm_access', 'roles'],
      roleMap: { host: 'moderator' as const },
      defaultRole: 'subscriber' as const,
    };
    expect(roleFromClaims({ realm_access: { roles: ['host'] } }, keycloak)).toBe('moderator');
    expect(roleFromClaims({ realm_access: { roles: ['guest'] } }, keycloak)).toBe('subscriber');
    // Inherited properties are no claims.
    expect(
      roleFromClaims(
        { realm_access: {} },
        { ...keycloak, rolesClaim: ['realm_access', 'constructor'], defaultRole: undefined },
      ),
    ).toBe(undefined);
  });
});

describe('service keys', () => {
  it('matches a key only by its hash, and nothing else', () => {
    const keys = [createServiceKey(), createServiceKey()];
    const entries = keys.map((key, index) => ({ name: `k${index}`, sha256: hashServiceKey(key) }));
    expect(matchServiceKey(keys[1] as string, entries)?.name).toBe('k1');
    expect(matchServiceKey(createServiceKey(), entries)).toBeUndefined();
    expect(matchServiceKey(entries[0]?.sha256 as string, entries)).toBeUndefined();
  });
});

describe('the service configuration', () => {
  const env = { RED5PRO_JWT_SECRET: generateSecret() };
  it('takes OIDC entirely from the environment, with the default role rule', () => {
    const config = loadServiceConfig({
      env: {
        ...env,
        ROOMKEY_OIDC_ISSUER: 'https://idp.example',
        ROOMKEY_OIDC_AUDIENCE: 'api,api2',
        ROOMKEY_OIDC_ROOMS: 'stage, green-*',
        ROOMKEY_OIDC_CHANNELS: 'any',
        ROOMKEY_OIDC_PLATFORMS: 'red5pro',
        ROOMKEY_OIDC_TRANSPORTS: 'WHIP, whep,WHEP',
      },
    });
    expect(config.oidc).toMatchObject({
      issuer: 'https://idp.example',
      audience: ['api', 'api2'],
      rooms: ['stage', 'green-*'],
      channels: 'any',
      sessions: [],
      platforms: ['red5pro'],
      transports: ['WHIP', 'WHEP'],
      rolesClaim: ['roles'],
    });
    expect(config.oidc?.roleMap).toEqual(DEFAULT_MAP);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      metrics: false,
      corsOrigins: [],
      requireHttps: false,
      serviceKeys: [],
    });
  });

  it('passes the OIDC cache, timeout, client and type settings from the environment on to bearerJwtIdentity', () => {
    const oidc = {
      ...env,
      ROOMKEY_OIDC_ISSUER: 'https://idp.example',
      ROOMKEY_OIDC_AUDIENCE: 'api',
      ROOMKEY_OIDC_ROOMS: 'any',
      ROOMKEY_OIDC_PLATFORMS: 'red5pro',
      ROOMKEY_OIDC_TRANSPORTS: 'any',
    };
    const config = loadServiceConfig({
      env: {
        ...oidc,
        ROOMKEY_OIDC_JWKS_COOLDOWN_SECONDS: '10',
        ROOMKEY_OIDC_JWKS_CACHE_MAX_AGE_SECONDS: '300',
        ROOMKEY_OIDC_JWKS_STALE_IF_ERROR_SECONDS: '7200',
        ROOMKEY_OIDC_TIMEOUT_MS: '2000',
        ROOMKEY_OIDC_AUTHORIZED_PARTIES: 'web, mobile',
        ROOMKEY_OIDC_REQUIRED_TYPE: 'at+jwt',
      },
    });
    expect(bearerOptions(config.oidc as OidcSettings)).toEqual({
      issuer: 'https://idp.example',
      audience: ['api'],
      jwksCooldownSeconds: 10,
      jwksCacheMaxAgeSeconds: 300,
      jwksStaleIfErrorSeconds: 7200,
      timeoutMs: 2000,
      authorizedParties: ['web', 'mobile'],
      requiredType: 'at+jwt',
      subjectClaim: 'sub',
    });
    const problems = (extra: Record<string, string>) => {
      try {
        loadServiceConfig({ env: { ...oidc, ...extra } });
      } catch (error) {
        return (error as ConfigError).message;
      }
      return 'accepted';
    };
    expect(problems({ ROOMKEY_OIDC_JWKS_STALE_IF_ERROR_SECONDS: 'a day' })).toMatch(
      /ROOMKEY_OIDC_JWKS_STALE_IF_ERROR_SECONDS/,
    );
    expect(problems({ ROOMKEY_OIDC_TIMEOUT_MS: '0' })).toMatch(/ROOMKEY_OIDC_TIMEOUT_MS/);
    expect(problems({ ROOMKEY_OIDC_REQUIRED_TYPE: 'at jwt' })).toMatch(/requiredType must be a token type/);
    expect(problems({ ROOMKEY_OIDC_AUTHORIZED_PARTIES: 'web,' })).toMatch(/ROOMKEY_OIDC_AUTHORIZED_PARTIES/);
  });

  it('refuses OIDC that says nothing about rooms, and a service without identity or platform', () => {
    const problems = (environment: Record<string, string>) => {
      try {
        loadServiceConfig({ env: environment });
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      return '';
    };
    const oidc = {
      ...env,
      ROOMKEY_OIDC_ISSUER: 'https://idp.example',
      ROOMKEY_OIDC_AUDIENCE: 'api',
      ROOMKEY_OIDC_PLATFORMS: 'any',
      ROOMKEY_OIDC_TRANSPORTS: 'any',
    };
    expect(problems(oidc)).toMatch(/say what signed-in users may enter/);
    expect(problems({})).toMatch(/no platform is configured[\s\S]*no identity is configured/);
    expect(problems({ ...oidc, ROOMKEY_OIDC_ISSUER: 'http://idp.example', ROOMKEY_OIDC_ROOMS: 'any' })).toMatch(
      /identity.oidc: issuer must use https/,
    );
  });
});
