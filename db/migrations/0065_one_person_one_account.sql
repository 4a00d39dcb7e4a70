-- Up Migration

-- One person, one account: signed in by their email or their phone, a customer adds the other by
-- proving it with a code, and if it already had an account of its own (the same person, signed in
-- the other way before), the two become one (src/lib/server/customers/join.ts).

-- What a code is for: signing in (null), or adding its destination to this account, which alone may
-- use it. No reference to the account: the rows count the codes sent to a destination over a day,
-- and an erased account must not take its codes off that count.
ALTER TABLE customer_codes ADD COLUMN for_customer bigint;

-- When two accounts become one, the other account's ledger rows move over as they are (a later
-- take-back or return still finds the row it answers), and one row says so: 'joined', counting no
-- points itself, with the balance the other account brought (carried_points).
ALTER TABLE loyalty_ledger ADD COLUMN carried_points integer;
ALTER TABLE loyalty_ledger DROP CONSTRAINT loyalty_ledger_reason_check;
ALTER TABLE loyalty_ledger ADD CONSTRAINT loyalty_ledger_reason_check CHECK (reason IN ('earned', 'taken_back', 'spent', 'returned', 'joined'));
ALTER TABLE loyalty_ledger DROP CONSTRAINT loyalty_ledger_points_check;
ALTER TABLE loyalty_ledger ADD CONSTRAINT loyalty_ledger_points_check CHECK (
  CASE WHEN reason = 'joined' THEN points = 0 AND carried_points IS NOT NULL ELSE points <> 0 AND carried_points IS NULL END
);

-- Down Migration

DELETE FROM loyalty_ledger WHERE reason = 'joined';
ALTER TABLE loyalty_ledger DROP CONSTRAINT loyalty_ledger_points_check;
ALTER TABLE loyalty_ledger ADD CONSTRAINT loyalty_ledger_points_check CHECK (points <> 0);
ALTER TABLE loyalty_ledger DROP CONSTRAINT loyalty_ledger_reason_check;
ALTER TABLE loyalty_ledger ADD CONSTRAINT loyalty_ledger_reason_check CHECK (reason IN ('earned', 'taken_back', 'spent', 'returned'));
ALTER TABLE loyalty_ledger DROP COLUMN carried_points;
ALTER TABLE customer_codes DROP COLUMN for_customer;
