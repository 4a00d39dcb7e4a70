-- Up Migration

-- every backup attempt, for the system page, metrics and the operators' log
CREATE TABLE backups (
  id           serial PRIMARY KEY,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  file         text,
  bytes        bigint,
  ok           boolean,
  error        text,
  trigger      text NOT NULL DEFAULT 'schedule'
);
CREATE INDEX backups_started_at ON backups (started_at DESC);

-- order events older than the retention move here; the hot table keeps what screens resume from
CREATE TABLE order_events_archive (LIKE order_events INCLUDING DEFAULTS);
ALTER TABLE order_events_archive ADD PRIMARY KEY (id);
CREATE INDEX order_events_archive_order ON order_events_archive (order_id, id);

-- what each maintenance run did
CREATE TABLE maintenance_runs (
  id                 serial PRIMARY KEY,
  ran_at             timestamptz NOT NULL DEFAULT now(),
  sessions_deleted   integer NOT NULL,
  events_archived    integer NOT NULL,
  trigger            text NOT NULL DEFAULT 'schedule'
);
