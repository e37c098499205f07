-- Shortfall counts in the order scheduling published them (R15).

-- R15: when the count last applied was published. A count published earlier and delivered later (it waited to be
-- tried again while newer ones were handled) says nothing about now: it is ignored, so that a late "1 waiting"
-- after "0" does not open a new shortfall episode that does not exist.
ALTER TABLE shortfall_notices ADD COLUMN counted_at timestamptz;
