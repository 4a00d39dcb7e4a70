import { onDestroy } from 'svelte';
import type { LiveConnection } from '../../realtime/live.svelte.ts';
import { PositionSharer } from './position-sharer.ts';

/**
 * The phone's position while on shift: every 5 s or 25 m, kept on the phone while offline
 * (position-sharer.ts), and what the page says of it. Create it while the page is created.
 */
export class PositionWatch {
  gps = $state<'off' | 'on' | 'denied'>('off');
  accuracy = $state<number | null>(null);
  /** Fixes kept on the phone, to go when the network returns. */
  waitingFixes = $state(0);
  #watchId: number | null = null;

  constructor(live: LiveConnection, onShift: () => boolean) {
    const sharer = new PositionSharer({
      send: async (p) => {
        const ack = await live.sharePosition(p);
        if (!ack) return 'unreachable';
        if ('data' in ack) return 'accepted';
        return ack.error.code === 'rate_limited' ? 'rate_limited' : 'refused';
      },
      onChange: () => (this.waitingFixes = sharer.waiting),
    });
    $effect(() => sharer.setOnline(live.status === 'live'));
    $effect(() => {
      if (!onShift() || typeof navigator === 'undefined' || !navigator.geolocation) return;
      this.#watchId = navigator.geolocation.watchPosition(
        (p) => {
          this.gps = 'on';
          this.accuracy = Math.round(p.coords.accuracy);
          sharer.offer({
            lat: p.coords.latitude,
            lng: p.coords.longitude,
            accuracy: Math.min(2000, p.coords.accuracy),
            at: Math.round(p.timestamp),
            ...(p.coords.speed != null ? { speed: Math.min(70, Math.max(0, p.coords.speed)) } : {}),
            ...(p.coords.heading != null && !Number.isNaN(p.coords.heading) ? { heading: p.coords.heading % 360 } : {}),
          });
        },
        (err) => (this.gps = err.code === err.PERMISSION_DENIED ? 'denied' : this.gps),
        { enableHighAccuracy: true, maximumAge: 2000, timeout: 20_000 },
      );
      return () => {
        if (this.#watchId !== null) navigator.geolocation.clearWatch(this.#watchId);
        this.#watchId = null;
        this.gps = 'off';
      };
    });
    onDestroy(() => {
      if (this.#watchId !== null) navigator.geolocation.clearWatch(this.#watchId);
    });
  }
}
