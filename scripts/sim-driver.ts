// The simulator's drivers (scripts/simulate.ts): a driver on a scooter accepts offers, picks up,
// rides to each door, hands over with the PIN, and rides back; their phone shares where they are,
// and reads its deliveries again after it was away.
import { io as ioClient, type Socket } from 'socket.io-client';
import { distanceM, type LatLng } from '../src/lib/domain/geo.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import type { OrderView } from '../src/lib/shapes/views.ts';
import { jitter, log, offset, round, Session, sim, sleep, type SimSettings, type Shop } from './sim-common.ts';

/** A driver on a scooter: accepts offers, picks up, rides to each door, hands over with the PIN, rides back. */
export async function driver(settings: SimSettings, shop: Shop, index: number) {
  const email = `driver${index}.${shop.slug}@ocpizza.test`;
  const me = await new Session().login(email);
  const who = (await me.call('GET', '/api/auth/me')).body;
  const scooter = new Scooter(settings, shop, email, me, who.user?.id ?? who.id, who.user?.name ?? email);
  scooter.connect();
  await me.call('POST', '/api/driver/shift', { onShift: true });
  await scooter.resync();
  await scooter.drive();
  await me.call('POST', '/api/driver/shift', { onShift: false }).catch(() => {});
  scooter.socket.close();
}

class Scooter {
  readonly settings: SimSettings;
  readonly shop: Shop;
  readonly email: string;
  readonly me: Session;
  readonly myId: number;
  readonly name: string;
  readonly orders = new Map<string, OrderView>();
  /** Offers being answered (an offer can arrive as soon as the phone connects). */
  readonly answering = new Set<string>();
  socket!: Socket;
  at: LatLng = { lat: 0, lng: 0 };

  constructor(settings: SimSettings, shop: Shop, email: string, me: Session, myId: number, name: string) {
    this.settings = settings;
    this.shop = shop;
    this.email = email;
    this.me = me;
    this.myId = myId;
    this.name = name;
  }

  apply(o: OrderView) {
    const held = this.orders.get(o.id);
    if (held && held.version > o.version) return;
    if (o.driver?.id === this.myId || o.offer?.driverId === this.myId) this.orders.set(o.id, o);
    else this.orders.delete(o.id);
  }

  /** The phone's socket: offers as they come, its session opened again when the server forgot it. */
  connect() {
    const { me, name } = this;
    const socket: Socket = ioClient(this.settings.base, { transports: ['websocket'], extraHeaders: { cookie: me.cookie }, reconnectionDelayMax: 5000 });
    this.socket = socket;
    // each try carries the session as it is now (it may have been opened again meanwhile)
    socket.io.on('reconnect_attempt', () => (socket.io.opts.extraHeaders = { cookie: me.cookie }));
    socket.on('order:updated', (e: OrderUpdated) => {
      this.apply(e.order);
      if (e.type === 'order.offered' && e.order.offer?.driverId === this.myId && !this.answering.has(e.order.id)) void this.answer(e.order);
    });
    let connections = 0;
    socket.on('connect', () =>
      socket.emit('subscribe', { scope: 'driver' }, (ack: { error?: { code: string } }) => {
        if (ack?.error) {
          // the server no longer knows this session: open it again, then reconnect with it
          log(`${name}: the phone's session was refused (${ack.error.code}), logging in again`);
          void round(name, async () => {
            await me.login(this.email);
            socket.io.opts.extraHeaders = { cookie: me.cookie };
            socket.disconnect().connect();
          });
          return;
        }
        if (connections++ > 0) {
          log(`${name}: phone reconnected, reading its deliveries again`);
          void round(name, () => this.resync());
        }
      }),
    );
    socket.on('disconnect', (reason) => {
      if (sim.stopping) return;
      // a server that ended the socket itself (a session it closed) is not reconnected by the client
      if (reason === 'io server disconnect') {
        void round(name, async () => {
          await me.login(this.email);
          socket.io.opts.extraHeaders = { cookie: me.cookie };
          socket.connect();
        });
      }
    });
  }

  /** What the phone missed while away: its deliveries and the offers still open, read again. */
  async resync() {
    const r = await this.me.call('GET', '/api/orders');
    if (r.status !== 200) return;
    for (const o of r.body as OrderView[]) {
      this.apply(o);
      if (o.offer?.driverId === this.myId && !this.answering.has(o.id)) void this.answer(o);
    }
  }

  async answer(o: OrderView) {
    const { name, settings } = this;
    this.answering.add(o.id);
    try {
      await sleep(jitter(1000, 4000) / Math.max(1, settings.pace / 3));
      const accept = Math.random() >= settings.decline;
      const r = await this.me.call('POST', `/api/orders/${o.id}/offer`, { accept, version: o.version });
      if (r.status === 200) {
        this.apply(r.body);
        log(`${name} ${accept ? 'accepts' : 'declines'} n°${o.number}`);
      }
    } catch (err) {
      if (!sim.stopping) log(`${name}: answering n°${o.number} failed (${(err as Error).message})`);
    } finally {
      this.answering.delete(o.id);
    }
  }

  /** A phone away from the server keeps no backlog of where it was: the next position says it all. */
  share() {
    const { socket, at } = this;
    return socket.connected &&
      socket.emit('driver:position', { lat: at.lat, lng: at.lng, accuracy: Math.round(jitter(5, 15)), at: Date.now(), speed: this.settings.speedMs }, () => {});
  }

  /** Rides `dt` seconds towards `to`: whether there. */
  ride(to: LatLng, dt: number) {
    const { at } = this;
    const d = distanceM(at, to);
    const step = this.settings.speedMs * this.settings.pace * dt;
    if (d <= step) this.at = { ...to };
    else this.at = { lat: at.lat + ((to.lat - at.lat) * step) / d, lng: at.lng + ((to.lng - at.lng) * step) / d };
    return distanceM(this.at, to) < 15;
  }

  /** Every second until the simulation stops: a move, and the position every 3 seconds. */
  async drive() {
    this.at = offset(this.shop, jitter(20, 400), jitter(0, 360));
    let lastSent = 0;
    let last = Date.now();
    while (!sim.stopping) {
      await sleep(1000);
      const now = Date.now();
      const dt = (now - last) / 1000;
      last = now;
      await round(this.name, () => this.move(dt));
      if (now - lastSent >= 3000) {
        this.share();
        lastSent = now;
      }
    }
  }

  /** To the shop and everything waiting there in one go, or on to the nearest door, or back to the shop. */
  async move(dt: number) {
    const mine = [...this.orders.values()].filter((o) => o.driver?.id === this.myId);
    const ready = mine.filter((o) => o.status === 'ready');
    const carried = mine.filter((o) => o.status === 'out_for_delivery' && o.address?.lat != null);
    if (ready.length && !carried.length) {
      if (this.ride(this.shop, dt)) {
        for (const o of ready) {
          const r = await this.me.call('POST', `/api/orders/${o.id}/status`, { to: 'out_for_delivery', version: o.version });
          if (r.status === 200) this.apply(r.body);
          else if (r.status === 409) await this.resync();
        }
      }
    } else if (carried.length) {
      const { at } = this;
      const next = carried.sort((a, b) => distanceM(at, { lat: a.address!.lat!, lng: a.address!.lng! }) - distanceM(at, { lat: b.address!.lat!, lng: b.address!.lng! }))[0];
      if (this.ride({ lat: next.address!.lat!, lng: next.address!.lng! }, dt)) await this.handOver(next);
    } else this.ride(this.shop, dt);
  }

  /** At the door: the customer's PIN (from their tracking page), what is owed collected; an order with no PIN known goes back to the shop. */
  async handOver(next: OrderView) {
    const token = sim.tracking.get(next.id);
    const pin = token ? (await new Session().call('GET', `/api/track/${token}`)).body?.deliveryPin : null;
    const r = await this.me.call('POST', `/api/orders/${next.id}/deliver`, {
      version: next.version,
      proof: pin ? { pin } : { photo: true },
      ...(next.amountDueCents > 0 ? { collected: { amountCents: next.amountDueCents, method: Math.random() < 0.5 ? 'cash' : 'card' } } : {}),
    });
    if (r.status === 200) {
      this.apply(r.body);
      log(`n°${next.number} delivered`);
    } else if (r.status === 409 && r.body?.error?.code === 'stale') {
      await this.resync();
    } else if (!pin) {
      // an order placed before the simulator started: its PIN is the customer's; hand it back to the shop
      const f = await this.me.call('POST', `/api/orders/${next.id}/failed`, { version: next.version, reason: 'absent' });
      if (f.status === 200) this.apply(f.body);
    }
  }
}
