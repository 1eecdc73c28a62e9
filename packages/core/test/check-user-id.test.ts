import { describe, expect, it } from 'vitest';
import { isRoomkeyError } from '../src/errors.js';
import { createTokenIssuer } from '../src/pipeline.js';
import { Red5Client, red5CloudChatPlatform, red5CloudConferencePlatform } from '../src/platforms/red5cloud.js';
import { createRed5ProSigner, red5ProPlatform } from '../src/platforms/red5pro.js';
import { generateSecret } from '../src/secret.js';
import { credentialFields, makeCredentials, makeMasterKey, referenceMasterSecret } from './support/red5cloud.js';

const masterKey = makeMasterKey();
const cloud = new Red5Client(masterKey, referenceMasterSecret(masterKey, credentialFields(makeCredentials())));

/** What checkUserId threw: its code and message, or undefined when it accepted the id. */
function refusal(check: (userId: string) => void, userId: string): { code: string; message: string } | undefined {
  try {
    check(userId);
    return undefined;
  } catch (error) {
    if (!isRoomkeyError(error)) throw error;
    return { code: error.code, message: error.message };
  }
}

describe('checkUserId: what each platform can carry, asked before signing', () => {
  it("refuses an id over PubNub's 64-character uuid limit on both Red5 Cloud platforms, naming the limit", () => {
    const long = 'u'.repeat(65);
    for (const platform of [red5CloudChatPlatform(cloud), red5CloudConferencePlatform(cloud)]) {
      const check = (id: string) => platform.checkUserId?.(id);
      const refused = refusal(check, long);
      expect(refused?.code).toBe('invalid_claim');
      expect(refused?.message).toMatch(/64/);
      expect(refused?.message).not.toContain(long);
      expect(refusal(check, 'u'.repeat(64))).toBeUndefined();
    }
  });

  it("checks roomkey's own rules and every configured platform on the issuer, and names the token", () => {
    const red5pro = red5ProPlatform(createRed5ProSigner({ secret: generateSecret() }));
    const both = createTokenIssuer({ identify: () => null, platforms: [red5pro, red5CloudChatPlatform(cloud)] });
    const red5proOnly = createTokenIssuer({ identify: () => null, platforms: [red5pro] });
    const long = 'a'.repeat(200);
    expect(refusal(both.checkUserId, long)).toEqual({
      code: 'invalid_claim',
      message: expect.stringMatching(/^chat tokens cannot carry it: .*64/),
    });
    expect(refusal(red5proOnly.checkUserId, long)).toBeUndefined();
    for (const bad of ['x'.repeat(257), 'jose\u0301', ' alice', '']) {
      expect(refusal(red5proOnly.checkUserId, bad)?.code, JSON.stringify(bad)).toBe('invalid_claim');
    }
    expect(refusal(both.checkUserId, 'auth0|alice')).toBeUndefined();
  });
});
