-- The example business service: keyword auto-reply rules and mini-program
-- login sessions (the session_key stays here, never in a token).
CREATE TABLE IF NOT EXISTS `wxc_autoreply_rules` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `appid` VARCHAR(64) NOT NULL DEFAULT '', `keyword` VARCHAR(191) NOT NULL, `matchtype` VARCHAR(16) NOT NULL, `replytype` VARCHAR(16) NOT NULL, `reply` TEXT NOT NULL, `createtime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE UNIQUE INDEX IF NOT EXISTS `autoreply_match` ON `wxc_autoreply_rules` (`appid`, `keyword`, `matchtype`);
CREATE TABLE IF NOT EXISTS `wxc_mp_sessions` (`appid` VARCHAR(64) NOT NULL, `openid` VARCHAR(128) NOT NULL, `sessionkey` VARCHAR(255) NOT NULL, `unionid` VARCHAR(128) NOT NULL DEFAULT '', `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (`appid`, `openid`));
