DROP TABLE IF EXISTS `weapp_audits`;
