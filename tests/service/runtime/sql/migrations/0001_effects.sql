-- A table the stand-in use case writes to.
CREATE TABLE effects (ine text NOT NULL);
