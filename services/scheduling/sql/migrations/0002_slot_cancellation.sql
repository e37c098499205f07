-- R14, R15: a reception school may cancel slots it declared until planning ends. A cancelled slot
-- stays (its past interviews point to it) but is closed: no booking lands in it again.

ALTER TABLE slots ADD COLUMN cancelled_at timestamptz;
ALTER TABLE slots ADD COLUMN cancel_reason text;

-- Bookings and the sweep look for open slots with a free seat only.
DROP INDEX slots_with_seats;
CREATE INDEX slots_with_seats ON slots (campaign, domain_code, starts_at)
    WHERE booked < capacity AND cancelled_at IS NULL;

CREATE INDEX interviews_by_slot ON interviews (slot_id) WHERE status = 'booked';
