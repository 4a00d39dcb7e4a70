/** A path on this site to send someone back to (never another site: no `//host`, no `/\host`), or null. */
export const safeLocalPath = (v: string | null | undefined): string | null =>
  v && v.length <= 500 && /^\/(?![/\\])[!-[\]-~]*$/.test(v) ? v : null;
