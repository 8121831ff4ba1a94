//! Diesel table definitions. Names and columns are wxcomponent's (`db/init.go`)
//! so an existing wxcomponent MySQL database is adopted in place; `Counters`
//! is the business counter of the Cloud Run templates.
#![allow(missing_docs)]

diesel::table! {
    wxcallback_component (id) {
        id -> Integer,
        receivetime -> Timestamp,
        createtime -> Timestamp,
        infotype -> Varchar,
        postbody -> Text,
    }
}

diesel::table! {
    wxcallback_biz (id) {
        id -> Integer,
        receivetime -> Timestamp,
        createtime -> Timestamp,
        tousername -> Varchar,
        appid -> Varchar,
        msgtype -> Varchar,
        event -> Varchar,
        postbody -> Text,
    }
}

diesel::table! {
    comm (key) {
        key -> Varchar,
        value -> Text,
        createtime -> Timestamp,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    user (id) {
        id -> Integer,
        username -> Varchar,
        password -> Varchar,
        createtime -> Timestamp,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    authorizers (id) {
        id -> Integer,
        appid -> Varchar,
        apptype -> Integer,
        servicetype -> Integer,
        nickname -> Varchar,
        username -> Varchar,
        headimg -> Varchar,
        qrcodeurl -> Varchar,
        principalname -> Varchar,
        refreshtoken -> Varchar,
        funcinfo -> Varchar,
        verifyinfo -> Integer,
        authtime -> Timestamp,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    wxcallback_rules (id) {
        id -> Integer,
        name -> Varchar,
        infotype -> Varchar,
        msgtype -> Varchar,
        event -> Varchar,
        #[sql_name = "type"]
        rule_type -> Integer,
        open -> Integer,
        info -> Text,
        createtime -> Timestamp,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    wxtoken (id) {
        id -> Integer,
        #[sql_name = "type"]
        token_type -> Integer,
        appid -> Varchar,
        token -> Text,
        expiretime -> Timestamp,
        createtime -> Timestamp,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    counter (id) {
        id -> Integer,
        key -> Varchar,
        value -> Nullable<Integer>,
        createtime -> Timestamp,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    #[sql_name = "Counters"]
    counters (id) {
        id -> Integer,
        count -> Integer,
        #[sql_name = "createdAt"]
        created_at -> Timestamp,
        #[sql_name = "updatedAt"]
        updated_at -> Timestamp,
    }
}

diesel::table! {
    wxcallback_dedup (dedupkey) {
        dedupkey -> Varchar,
        response -> Nullable<Text>,
        createtime -> Timestamp,
    }
}

diesel::table! {
    wxc_autoreply_rules (id) {
        id -> Integer,
        appid -> Varchar,
        keyword -> Varchar,
        matchtype -> Varchar,
        replytype -> Varchar,
        reply -> Text,
        createtime -> Timestamp,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    wxc_mp_sessions (appid, openid) {
        appid -> Varchar,
        openid -> Varchar,
        sessionkey -> Varchar,
        unionid -> Varchar,
        updatetime -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    wxcallback_component,
    wxcallback_biz,
    comm,
    user,
    authorizers,
    wxcallback_rules,
    wxtoken,
    counter,
    counters,
    wxcallback_dedup,
    wxc_autoreply_rules,
    wxc_mp_sessions,
);

diesel::table! {
    proxy_routes (id) {
        id -> Integer,
        prefix -> Varchar,
        upstream -> Varchar,
        stripprefix -> Integer,
        open -> Integer,
        createtime -> Timestamp,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    authorizer_bindings (id) {
        id -> Integer,
        bizid -> Varchar,
        appid -> Varchar,
        authcode -> Varchar,
        state -> Varchar,
        createtime -> Timestamp,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    weapp_audits (id) {
        id -> Integer,
        appid -> Varchar,
        auditid -> BigInt,
        status -> Integer,
        reason -> Text,
        screenshot -> Text,
        userversion -> Varchar,
        submitaudittime -> BigInt,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    wxc_campaigns (id) {
        id -> Integer,
        templateid -> BigInt,
        userversion -> Varchar,
        userdesc -> Varchar,
        spec -> Text,
        state -> Varchar,
        createtime -> Timestamp,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    wxc_campaign_accounts (id) {
        id -> Integer,
        campaignid -> Integer,
        appid -> Varchar,
        nickname -> Varchar,
        state -> Varchar,
        step -> Varchar,
        attempts -> Integer,
        auditid -> BigInt,
        lasterrcode -> Nullable<BigInt>,
        lasterror -> Varchar,
        leaseowner -> Varchar,
        leaseuntil -> BigInt,
        nextat -> BigInt,
        updatetime -> Timestamp,
    }
}

diesel::table! {
    wxc_campaign_rate (slot) {
        slot -> Integer,
        usedat -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(wxc_campaigns, wxc_campaign_accounts);

diesel::table! {
    wxc_push_refusals (minute) {
        minute -> BigInt,
        count -> BigInt,
    }
}

diesel::table! {
    wxc_authorization_failures (appid) {
        appid -> Varchar,
        step -> Varchar,
        error -> Varchar,
        failtime -> BigInt,
    }
}
