// Which Postgres this process writes to and how its standbys follow, as the leader itself says
// (pg_stat_replication): read through the same address as every query (HAProxy in front of a
// Patroni cluster, or a single Postgres), so it is what the product really reaches.
import type { DatabaseRole } from '../../shapes/views.ts';
import type { Queryable } from '../kernel/db.ts';

/**
 * The leader's own address (as it listens: the node's, not HAProxy's), its timeline (it goes up by
 * one at each promotion: a failover happened), and its standbys. The details of pg_stat_replication
 * need a superuser or the pg_monitor role (operations guide, "Postgres failover").
 */
export async function readDatabaseRole(db: Queryable, standbysExpected: number): Promise<DatabaseRole> {
  const { rows } = await db.query<{ node: string | null; standby: boolean; timeline: string | null }>(
    `SELECT coalesce(host(inet_server_addr()) || ':' || inet_server_port(), 'local socket') AS node,
            pg_is_in_recovery() AS standby,
            CASE WHEN pg_is_in_recovery() THEN NULL ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END AS timeline`,
  );
  const { rows: standbys } = await db.query<{ name: string; state: string | null; sync_state: string | null; lag_bytes: string | null; replay_lag_s: number | null }>(
    `SELECT application_name AS name, state, sync_state,
            CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint END AS lag_bytes,
            extract(epoch FROM replay_lag)::float8 AS replay_lag_s
       FROM pg_stat_replication ORDER BY application_name`,
  );
  const list = standbys.map((s) => ({
    name: s.name,
    state: s.state ?? 'unknown',
    sync: s.sync_state ?? 'unknown',
    lagBytes: s.lag_bytes === null ? null : Number(s.lag_bytes),
    replayLagSeconds: s.replay_lag_s,
  }));
  const syncStandbys = list.filter((s) => (s.sync === 'sync' || s.sync === 'quorum') && s.state === 'streaming');
  return {
    node: rows[0].node ?? 'unknown',
    primary: !rows[0].standby,
    timeline: rows[0].timeline === null ? null : parseInt(rows[0].timeline, 16),
    standbys: list,
    syncStandby: syncStandbys[0]?.name ?? null,
    standbysExpected,
    inSync: syncStandbys.length >= standbysExpected,
  };
}
