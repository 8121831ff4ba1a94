-- Which account a business id (the operator's own merchant id) bound through
-- the authorization redirect's auth_code, and whether it is still authorized.
CREATE TABLE IF NOT EXISTS `authorizer_bindings` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `bizid` VARCHAR(64) NOT NULL, `appid` VARCHAR(32) NOT NULL, `authcode` VARCHAR(255) NOT NULL DEFAULT '', `state` VARCHAR(16) NOT NULL, `createtime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `updatetime` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE UNIQUE INDEX IF NOT EXISTS `authorizer_bindings_bizid` ON `authorizer_bindings` (`bizid`);
CREATE INDEX IF NOT EXISTS `authorizer_bindings_appid` ON `authorizer_bindings` (`appid`);
