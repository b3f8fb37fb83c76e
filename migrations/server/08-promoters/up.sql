-- Promoters (推广员): people who bring consumers to a pickup point. A promoter
-- belongs to one point (the leader's team), may have been recruited by another
-- promoter of the same point (the referral tree), and has a referral code that a
-- consumer may give at sign-in or at an order. Times in UTC ms.

CREATE TABLE promoters (
    id            TEXT PRIMARY KEY,
    point_id      TEXT NOT NULL REFERENCES points (id),
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    referral_code TEXT NOT NULL UNIQUE,
    recruited_by  TEXT REFERENCES promoters (id),
    created_at    INTEGER NOT NULL,
    UNIQUE (point_id, phone)
) STRICT;
CREATE INDEX promoters_by_point ON promoters (point_id, created_at);

-- Which promoter brought a consumer: the first referral stands.
CREATE TABLE consumer_referrals (
    consumer_id TEXT PRIMARY KEY REFERENCES consumers (id),
    promoter_id TEXT NOT NULL REFERENCES promoters (id),
    at          INTEGER NOT NULL
) STRICT;
CREATE INDEX consumer_referrals_by_promoter ON consumer_referrals (promoter_id);
