// 3. RS256 (Vonage Video client tokens): the extension point for when Vonage support lands.
//
// Not measured yet: roomkey has no Vonage signer. When it lands, fill `contenders` in the shape
// sections/signing.mjs uses ({ name, note, op, sync }), roomkey's Vonage signer first, then raw
// node:crypto `sign('sha256', …)` with the same 2048-bit key and @vonage/video's own token
// generation. The section then runs by itself; until then the report says it is not measured.
import { measureThroughput, ratio } from '../lib/harness.mjs';

export const title = '3. RS256 signing (Vonage Video)';

/** Empty until Vonage support lands: never fake numbers here. */
export const contenders = [];

export const pending =
  contenders.length === 0 ? 'not measured yet: Vonage support has not landed in roomkey' : undefined;

export async function run({ rounds, batchMs, warmupMs }) {
  const results = await measureThroughput(contenders, { rounds, batchMs, warmupMs });
  const [roomkey, ...others] = results;
  return {
    title,
    unit: 'tokens/s',
    results,
    ratios: others.map((other) => ratio(`${roomkey.name} ÷ ${other.name}`, roomkey.opsPerSecond, other.opsPerSecond)),
  };
}
