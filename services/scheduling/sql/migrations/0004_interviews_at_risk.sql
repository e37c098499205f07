-- R15, R17: the last campaign day the alarm `interviews_at_risk` was raised per domain, so the sweep
-- (every few seconds, on any replica) raises it at most once per domain and day while it holds.

CREATE TABLE alarms (
    campaign     text        NOT NULL,
    domain_code  text        NOT NULL,
    raised_on    date        NOT NULL,
    waiting      integer     NOT NULL,
    raised_at    timestamptz NOT NULL,
    PRIMARY KEY (campaign, domain_code)
);
