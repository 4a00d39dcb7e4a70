// The speed-of-service page's charts, with Chart.js (registered piece by piece, so only bars,
// a line, two axes, the legend and tooltips are shipped): the median of each stage stacked by hour
// the orders reached the kitchen, with the shop's target for the three; and each station's time from
// started to done, median and 90th percentile, against the target; the gap to the promise by hour;
// the road's speed as driven against the rule's. Loaded only by the page, after its figures are on screen.
import type { Chart as ChartType, ChartConfiguration } from 'chart.js';
import { PART_STAGES, type ServiceStage, type StageFigures } from '$lib/domain/speed-of-service.ts';

export interface Charts {
  Chart: typeof ChartType;
  drawn: Map<HTMLCanvasElement, { destroy(): void }>;
  destroy(): void;
}

export async function loadCharts(): Promise<Charts> {
  const c = await import('chart.js');
  c.Chart.register(c.BarController, c.BarElement, c.LineController, c.LineElement, c.PointElement, c.CategoryScale, c.LinearScale, c.Legend, c.Tooltip);
  const drawn = new Map<HTMLCanvasElement, { destroy(): void }>();
  return { Chart: c.Chart, drawn, destroy: () => drawn.forEach((ch) => ch.destroy()) };
}

const COLOURS: Record<Exclude<ServiceStage, 'total'>, string> = { start: '#6b7a8f', make: '#b3261e', handover: '#1b7040' };
const toMinutes = (s: number | null) => (s === null ? null : Math.round(s / 6) / 10);

function draw(charts: Charts, canvas: HTMLCanvasElement, config: ChartConfiguration) {
  charts.drawn.get(canvas)?.destroy();
  charts.drawn.set(canvas, new charts.Chart(canvas, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } }));
}

export function drawHours(charts: Charts, canvas: HTMLCanvasElement, hours: { hour: number; figures: StageFigures }[], names: Record<ServiceStage, string>, target: string) {
  draw(charts, canvas, {
    type: 'bar',
    data: {
      labels: hours.map((h) => `${h.hour}h`),
      datasets: [
        ...PART_STAGES.map((s) => ({ type: 'bar' as const, label: names[s], data: hours.map((h) => toMinutes(h.figures[s].median)), backgroundColor: COLOURS[s], stack: 'median' })),
        { type: 'line' as const, label: target, data: hours.map((h) => toMinutes(h.figures.total.target)), borderColor: '#222', borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
      ],
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'min' } } } },
  });
}

export function drawStations(charts: Charts, canvas: HTMLCanvasElement, stations: { name: string; figures: StageFigures }[], names: { median: string; p90: string; target: string }) {
  draw(charts, canvas, {
    type: 'bar',
    data: {
      labels: stations.map((s) => s.name),
      datasets: [
        { label: names.median, data: stations.map((s) => toMinutes(s.figures.make.median)), backgroundColor: '#b3261e' },
        { label: names.p90, data: stations.map((s) => toMinutes(s.figures.make.p90)), backgroundColor: '#e8a59f' },
        { type: 'line' as const, label: names.target, data: stations.map((s) => toMinutes(s.figures.make.target)), borderColor: '#222', borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
      ],
    },
    options: { indexAxis: 'x', scales: { y: { beginAtZero: true, title: { display: true, text: 'min' } } } },
  });
}

/** The day's gap to the promise by hour ordered: mean and 90th percentile, in minutes. */
export function drawPromises(charts: Charts, canvas: HTMLCanvasElement, hours: { hour: number; mae: number | null; p90: number | null }[], names: { mean: string; p90: string }) {
  draw(charts, canvas, {
    type: 'bar',
    data: {
      labels: hours.map((h) => `${h.hour}h`),
      datasets: [
        { label: names.mean, data: hours.map((h) => h.mae), backgroundColor: '#1d4ed8' },
        { label: names.p90, data: hours.map((h) => h.p90), backgroundColor: '#9db4f0' },
      ],
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'min' } } } },
  });
}

/** The speed the drivers really made by hour (learned), against the rule's. */
export function drawRoad(charts: Charts, canvas: HTMLCanvasElement, byHour: (number | null)[], ruleKmh: number, names: { learned: string; rule: string }) {
  const hours = Array.from({ length: 13 }, (_, i) => i + 11);
  draw(charts, canvas, {
    type: 'line',
    data: {
      labels: hours.map((h) => `${h}h`),
      datasets: [
        { label: names.learned, data: hours.map((h) => byHour[h % 24]), borderColor: '#1b7040', backgroundColor: '#1b7040', spanGaps: true },
        { label: names.rule, data: hours.map(() => ruleKmh), borderColor: '#222', borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
      ],
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'km/h' } } } },
  });
}

