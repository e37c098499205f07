-- R9, R10, R21: an interview's cancellation or report can be handled before its booking (a delivery waiting to
-- be tried again is overtaken by later ones); it is recorded then, without the start the booking brings.
ALTER TABLE interviews ALTER COLUMN starts_at DROP NOT NULL;
