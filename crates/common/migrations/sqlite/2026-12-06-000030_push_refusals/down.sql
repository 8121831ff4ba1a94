DROP TABLE IF EXISTS `wxc_push_refusals`;
