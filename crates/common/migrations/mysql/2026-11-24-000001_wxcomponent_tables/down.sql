DROP TABLE IF EXISTS `counter`;
DROP TABLE IF EXISTS `wxtoken`;
DROP TABLE IF EXISTS `wxcallback_rules`;
DROP TABLE IF EXISTS `authorizers`;
DROP TABLE IF EXISTS `user`;
DROP TABLE IF EXISTS `comm`;
DROP TABLE IF EXISTS `wxcallback_biz`;
DROP TABLE IF EXISTS `wxcallback_component`;
