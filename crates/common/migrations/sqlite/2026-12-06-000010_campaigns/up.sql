-- Release campaigns (the admin's crate::campaigns): one template committed,
-- configured, audited and released across many mini programs, worked
-- through by the admin's runner. `spec` is the campaign's input as JSON.
CREATE TABLE IF NOT EXISTS `wxc_campaigns` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `templateid` BIGINT NOT NULL, `userversion` VARCHAR(64) NOT NULL, `userdesc` VARCHAR(255) NOT NULL DEFAULT '', `spec` TEXT NOT NULL, `state` VARCHAR(16) NOT NULL, `createtime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
-- One row per mini program of a campaign: its state, the next step, the
-- audit, the last WeChat error, and the lease (owner and expiry, unix ms) of
-- the replica working it; `nextat` (unix ms) is when it is due again.
CREATE TABLE IF NOT EXISTS `wxc_campaign_accounts` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `campaignid` INT NOT NULL, `appid` VARCHAR(64) NOT NULL, `nickname` VARCHAR(64) NOT NULL DEFAULT '', `state` VARCHAR(16) NOT NULL, `step` VARCHAR(32) NOT NULL, `attempts` INT NOT NULL DEFAULT 0, `auditid` BIGINT NOT NULL DEFAULT 0, `lasterrcode` BIGINT NULL, `lasterror` VARCHAR(1024) NOT NULL DEFAULT '', `leaseowner` VARCHAR(64) NOT NULL DEFAULT '', `leaseuntil` BIGINT NOT NULL DEFAULT 0, `nextat` BIGINT NOT NULL DEFAULT 0, `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE UNIQUE INDEX IF NOT EXISTS `wxc_campaign_accounts_appid` ON `wxc_campaign_accounts` (`campaignid`, `appid`);
CREATE INDEX IF NOT EXISTS `wxc_campaign_accounts_due` ON `wxc_campaign_accounts` (`state`, `nextat`);
-- The shared WeChat call budget of campaigns: one row per call allowed in
-- any 60 s, `usedat` (unix ms) when it was last spent.
CREATE TABLE IF NOT EXISTS `wxc_campaign_rate` (`slot` INT NOT NULL PRIMARY KEY, `usedat` BIGINT NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS `wxc_campaign_rate_usedat` ON `wxc_campaign_rate` (`usedat`);
