import type { Page } from 'playwright-core';

export interface SdkPublish {
  /** The SDK's failure message, or `undefined` when `publish()` resolved. */
  readonly refused: string | undefined;
  /** The events the SDK fired, in order (`Publish.Start`, `Connect.Failure`…). */
  readonly events: string[];
}

/**
 * Runs Red5's WHIPClient (the SDK must be loaded in the page) with a token the test chose, the
 * way the demo page does, publishing `streamName` to the `live/<room>` scope of a WHIP endpoint
 * on 127.0.0.1, and returns what the SDK reported.
 */
export function publishWithRed5Sdk(
  page: Page,
  options: {
    readonly port: number;
    readonly token: string;
    readonly room: string;
    readonly streamName: string;
    readonly rtcConfiguration: unknown;
  },
): Promise<SdkPublish> {
  return page.evaluate(async ({ port, token, room, streamName, rtcConfiguration }) => {
    const events: string[] = [];
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's UMD global has no types
    const sdk = new (globalThis as any).red5prosdk.WHIPClient();
    sdk.on('*', (event: { type: string }) => events.push(event.type));
    try {
      await sdk.init({
        protocol: 'http',
        host: '127.0.0.1',
        port,
        app: `live/${room}`,
        streamName,
        mediaElementId: 'red5pro-publisher',
        rtcConfiguration,
        connectionParams: { username: 'roomkey', password: 'roomkey', token },
      });
      await sdk.publish();
      return { refused: undefined, events };
    } catch (error) {
      return { refused: String((error as Error)?.message ?? error), events };
    }
  }, options);
}
