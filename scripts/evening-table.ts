// `npm run simulate -- --evening`: one shop's evening in virtual time (src/lib/domain/evening.ts),
// the same customers served twice, firing every order at once and promising on the oven's queue and
// the road (as the shop did), then firing and promising from its plan, on the road it learned (as it does now); the mean
// over several seeds, as a Markdown table. No server, no database: a few seconds.
import { compareEvening, type EveningFigures, type EveningOptions } from '../src/lib/domain/evening.ts';
import { KEPT_WITHIN_MINUTES } from '../src/lib/domain/promise-figures.ts';

export function eveningTable(o: Omit<EveningOptions, 'seed'> & { seeds: number }): string {
  const runs = Array.from({ length: o.seeds }, (_, i) => compareEvening({ ...o, seed: i + 1 }));
  const meanOf = (k: number, f: (x: EveningFigures) => number) => runs.reduce((n, r) => n + f(r[k]), 0) / runs.length;
  const share = o.platformShare ?? 0;
  const row = (k: number, name: string) => {
    const m = (f: (x: EveningFigures) => number, digits = 1) => meanOf(k, f).toFixed(digits);
    return [
      name, `${m((x) => x.promiseKept * 100, 0)} %`, `± ${m((x) => x.spreadMinutes, 0)} min`, `${m((x) => x.etaMae)} / ${m((x) => x.etaP90)}`, `${m((x) => x.liveMae)} / ${m((x) => x.liveP90)}`,
      `${m((x) => x.waitMedian)} / ${m((x) => x.waitMean)} / ${m((x) => x.waitP90)}`, m((x) => x.driverWaitPerTrip), m((x) => x.doorMean), m((x) => x.ordersPerDriverHour), m((x) => x.ordersPerTrip),
      ...(share > 0 ? [`${m((x) => x.platform.readyForCourier * 100, 0)} % / ${m((x) => x.platform.courierWaitMean)}`] : []),
    ].join(' | ');
  };
  const platforms = share > 0
    ? ` Besides them, ${Math.round(meanOf(0, (x) => x.platform.orders))} orders from the delivery platforms (${Math.round(share * 100)} % of all), each collected by the platform's courier 10 to 20 minutes after it was placed; "blind to the platforms" is the same plan with those orders cooked from the platforms' tablets, unseen by it (as before they reached the make line).`
    : '';
  return [
    `One shop, 18:30 to 22:30: ${o.orders} deliveries (${Math.round((o.rushShare ?? 0.7) * 100)} % between 19:30 and 21:00) up to ${(o.radiusM / 1000).toFixed(1)} km, ${o.drivers} drivers on scooters, ${o.cooks} pizzaiolos; the road 20 % slower in the rush and 25 % either way of the estimate, the cooks 15 % either way; the plan learned its road, its window and its kitchen's pace from three earlier evenings. A promise is kept when the order is at the door at most ${KEPT_WITHIN_MINUTES} minutes past it, for both rows, whatever window each told its customers. Mean of ${o.seeds} evenings (seeds 1 to ${o.seeds}); minutes unless said.${platforms}`,
    '',
    `| fired and promised | promise kept (at the door by ${KEPT_WITHIN_MINUTES} min past it) | window told the customer | first promise error, mean / p90 | live ETA error, mean / p90 | pizza waiting for its driver, median / mean / p90 | driver waiting for pizzas, per trip | order to door | orders per driver-hour | orders per trip |${share > 0 ? " platform orders ready for their courier / courier's wait |" : ''}`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |${share > 0 ? ' --- |' : ''}`,
    `| ${row(0, 'at once, on the oven and the road')} |`,
    ...(share > 0 ? [`| ${row(2, "by the shop's plan, blind to the platforms")} |`] : []),
    `| ${row(1, share > 0 ? "by the shop's plan, the platforms on its make line" : "by the shop's plan")} |`,
  ].join('\n');
}
