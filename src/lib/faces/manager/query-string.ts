/** A list page's link: its filters (empty ones left out) and the page, as a query string. */
export function listQuery(filters: Record<string, string | number | undefined | null>): string {
  return (
    '?' +
    Object.entries(filters)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
      .join('&')
  );
}
