// Delivery assignment: the on-shift driver of the shop with the fewest active deliveries.

export interface DriverLoad {
  driverId: number;
  onShift: boolean;
  activeDeliveries: number;
  /** When the driver last finished a delivery (or started the shift); earlier waits longer. */
  idleSince: number;
}

export const MAX_ACTIVE_DELIVERIES = 3;

export function pickDriver(drivers: readonly DriverLoad[]): number | null {
  const candidates = drivers
    .filter((d) => d.onShift && d.activeDeliveries < MAX_ACTIVE_DELIVERIES)
    .sort((a, b) => a.activeDeliveries - b.activeDeliveries || a.idleSince - b.idleSince || a.driverId - b.driverId);
  return candidates[0]?.driverId ?? null;
}
