-- The latest code audit of each managed mini program as the admin submitted
-- or revoked it and WeChat's weapp_audit_* pushes decided it.
CREATE TABLE IF NOT EXISTS `weapp_audits` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `appid` VARCHAR(32) NOT NULL, `auditid` BIGINT NOT NULL DEFAULT 0, `status` INT NOT NULL, `reason` TEXT NOT NULL, `screenshot` TEXT NOT NULL, `userversion` VARCHAR(64) NOT NULL DEFAULT '', `submitaudittime` BIGINT NOT NULL DEFAULT 0, `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE UNIQUE INDEX IF NOT EXISTS `weapp_audits_appid` ON `weapp_audits` (`appid`);
