-- Fenced leases of bonuses (R30): the token of the lease a sender holds, new at each lease. A sender records
-- Affelnet's answer only while the bonus still carries its token, so a sender whose lease ran out and was taken
-- over records nothing (the new holder posts again under the same Idempotency-Key and records the answer).
ALTER TABLE bonuses ADD COLUMN lease_token uuid;
