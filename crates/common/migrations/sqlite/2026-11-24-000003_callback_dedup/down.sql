DROP TABLE IF EXISTS `wxcallback_dedup`;
