-- Authorizations the callback could not complete (the code exchange or the
-- account's details failed for good), one row per account until it succeeds.
CREATE TABLE IF NOT EXISTS `wxc_authorization_failures` (`appid` VARCHAR(64) NOT NULL, `step` VARCHAR(32) NOT NULL, `error` VARCHAR(512) NOT NULL DEFAULT '', `failtime` BIGINT NOT NULL, PRIMARY KEY (`appid`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
