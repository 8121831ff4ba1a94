DROP TABLE IF EXISTS `wxc_authorization_failures`;
