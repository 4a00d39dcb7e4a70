-- Up Migration

-- Labels and paper: each shop may have a network thermal printer (ESC/POS over TCP, usually port
-- 9100). When an order is ready the workers print a label for its box, once (a reprint is asked
-- for, and counted as its own copy); the whole ticket too, on demand, when a screen dies.
ALTER TABLE pizzerias
  ADD COLUMN printer_host text CHECK (printer_host ~ '^[A-Za-z0-9.-]{1,253}$'),
  ADD COLUMN printer_port integer NOT NULL DEFAULT 9100 CHECK (printer_port BETWEEN 1 AND 65535);

CREATE TABLE print_jobs (
  id          serial PRIMARY KEY,
  order_id    uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('label', 'ticket')),
  copy        integer NOT NULL CHECK (copy BETWEEN 1 AND 20),
  status      text NOT NULL DEFAULT 'printing' CHECK (status IN ('printing', 'printed', 'failed')),
  attempts    integer NOT NULL DEFAULT 1,
  last_error  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  printed_at  timestamptz,
  UNIQUE (order_id, kind, copy)
);

-- A shop's printer as the workers last found it: a failure (off, unreachable, out of paper) raises
-- an alert on its kitchen and the system page until a print goes through again.
CREATE TABLE printer_status (
  pizzeria_id  integer PRIMARY KEY REFERENCES pizzerias(id) ON DELETE CASCADE,
  ok           boolean NOT NULL,
  -- why, for the screens to say in their language: unreachable, no_answer, paper_out
  code         text,
  error        text,
  since        timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE printer_status;
DROP TABLE print_jobs;
ALTER TABLE pizzerias DROP COLUMN printer_port, DROP COLUMN printer_host;
