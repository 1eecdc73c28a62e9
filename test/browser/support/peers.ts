import type { Page } from 'playwright-core';

/** A script that keeps each RTCPeerConnection a page makes (an SDK's too) in `window.peers`, with its policy. */
export const RECORD_PEERS = `const Native = RTCPeerConnection;
  window.peers = [];
  window.RTCPeerConnection = function (configuration) {
    const peer = new Native(configuration);
    window.peers.push({ peer, policy: configuration?.iceTransportPolicy });
    return peer;
  };
  window.RTCPeerConnection.prototype = Native.prototype;`;

/**
 * The last peer connection the page made ({@link RECORD_PEERS}): its policy, its state once
 * connected (waits bounded), its selected pair's local candidate type.
 */
export function lastPeer(page: Page): Promise<{ policy?: string; connection: string; local?: string | undefined }> {
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the page's own bookkeeping, untyped
    const { peer, policy } = (globalThis as any).peers.at(-1);
    const connected = await Promise.race([
      new Promise<boolean>((resolve) => {
        if (peer.connectionState === 'connected') resolve(true);
        peer.addEventListener('connectionstatechange', () => {
          if (peer.connectionState === 'connected') resolve(true);
        });
      }),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000)),
    ]);
    let local: string | undefined;
    const stats = await peer.getStats();
    stats.forEach((report: { type: string; selectedCandidatePairId?: string }) => {
      if (report.type === 'transport' && report.selectedCandidatePairId) {
        const pair = stats.get(report.selectedCandidatePairId);
        local = stats.get(pair.localCandidateId)?.candidateType;
      }
    });
    return { policy, connection: connected ? 'connected' : peer.connectionState, local };
  });
}
