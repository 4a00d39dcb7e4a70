// The kitchen stations form of a shop's page, read as the API's body (PUT /api/shops/:id/stations):
// one row per station (id_<n>, name_<n>, kinds_<n>, cats_<n>, remove_<n>), the pass chosen by one
// radio (pass = <n>), empty rows left out.
import type { StationInput } from '$lib/server/kitchen/stations.ts';

/** The rows a form holds at most: the shop's stations and a few empty ones to add. */
export const MAX_STATION_ROWS = 12;

export function stationsFromForm(form: FormData): Record<string, unknown>[] {
  const text = (k: string) => (typeof form.get(k) === 'string' ? String(form.get(k)).slice(0, 200).trim() : '');
  const pass = text('pass');
  const rows: Record<string, unknown>[] = [];
  for (let n = 0; n < MAX_STATION_ROWS; n++) {
    const name = text(`name_${n}`);
    const id = text(`id_${n}`);
    if (form.has(`remove_${n}`) || (!name && !id)) continue;
    rows.push({
      ...(id ? { id: Number(id) } : {}),
      name,
      isPass: pass === String(n),
      kinds: form.getAll(`kinds_${n}`).map(String),
      categoryIds: form.getAll(`cats_${n}`).map(Number),
    });
  }
  return rows;
}

/** The form's rows for a shop's stations: theirs, then empty ones to add (three for a shop that has none, to set up an oven, a cold station and a pass at once; else one). */
export function stationRows(stations: readonly (StationInput & { id: number })[]): (StationInput & { id?: number })[] {
  const blank = (): StationInput => ({ name: '', isPass: false, kinds: [], categoryIds: [] });
  const room = Math.max(0, Math.min(stations.length ? 1 : 3, MAX_STATION_ROWS - stations.length));
  return [...stations, ...Array.from({ length: room }, blank)];
}
