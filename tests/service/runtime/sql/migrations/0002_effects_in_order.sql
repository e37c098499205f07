-- The order the stand-in use cases wrote their rows in.
ALTER TABLE effects ADD COLUMN n bigserial;
