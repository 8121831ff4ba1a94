DROP TABLE IF EXISTS `wxc_campaign_rate`;
DROP TABLE IF EXISTS `wxc_campaign_accounts`;
DROP TABLE IF EXISTS `wxc_campaigns`;
