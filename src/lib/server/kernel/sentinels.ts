// The sentinels' list as REDIS_SENTINELS gives it: read by the configuration and by the Redis connections.

export interface SentinelAddress {
  host: string;
  port: number;
}

/** `a:26379,b:26379,[::1]:26379` → addresses; an entry that is no host:port is left out (config refuses a list with one). */
export function parseSentinels(list: string): SentinelAddress[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s))
    .filter((m): m is RegExpExecArray => !!m && Number(m[2]) > 0 && Number(m[2]) < 65536)
    .map((m) => ({ host: m[1], port: Number(m[2]) }));
}
