-- Planning marks without locks (R19 for reception schools).

-- R19 for reception schools: each booking, cancellation or dossier change that touches a school's day adds a mark
-- of its own. The flag this replaces was one row per school and day, upserted by every such event: the upsert
-- locks the row to the end of the transaction even when it changes nothing, so batches marking the same days in
-- other orders deadlocked (1,160 deliveries sent to wait in a 5,000-pupil fault run). An insert into a table
-- without a unique key waits for nobody; the planning sweep deletes exactly the marks it read.
CREATE TABLE planning_marks (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign       text   NOT NULL,
    reception_uai  text   NOT NULL,
    day            date   NOT NULL
);
CREATE INDEX planning_marks_by_day ON planning_marks (campaign, day);
INSERT INTO planning_marks (campaign, reception_uai, day)
SELECT campaign, reception_uai, day FROM planning_days WHERE changed;
DROP TABLE planning_days;
