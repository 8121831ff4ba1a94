DROP TABLE IF EXISTS `wxc_mp_sessions`;
DROP TABLE IF EXISTS `wxc_autoreply_rules`;
