//! The `wxsim` command line: `serve` runs the simulator; the other
//! subcommands are small clients of a running simulator's `/__sim/*`
//! endpoints that print the JSON answer.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};

/// A WeChat simulator: a fake api.weixin.qq.com plus WeChat's pushes.
#[derive(Debug, Parser)]
#[command(name = "wxsim", version, about)]
pub struct Cli {
    /// TOML settings file for `serve` (defaults < file < WXSIM__* variables).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<String>,
    /// Base URL of the running simulator the client subcommands talk to.
    #[arg(
        long,
        global = true,
        env = "WXSIM_URL",
        default_value = "http://127.0.0.1:9101"
    )]
    pub sim: String,
    /// What to do (default `serve`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the fake API and the ticket pusher.
    Serve,
    /// Push a fresh component_verify_ticket now.
    PushTicket,
    /// Mint a pre-auth code without an access token.
    PreAuthCode,
    /// Play an administrator confirming an authorization link.
    Authorize(AuthorizeArgs),
    /// Revoke an account's authorization (pushes `unauthorized`).
    Unauthorize {
        /// The authorizer appid.
        #[arg(long)]
        appid: String,
    },
    /// Mint an authorization code for an account without a push.
    AuthCode {
        /// The authorizer appid (authorized first if needed).
        #[arg(long)]
        appid: String,
        /// The account is a mini program.
        #[arg(long)]
        mini_program: bool,
    },
    /// Send a user message or event to an authorized account.
    Message(MessageArgs),
    /// Run the full-network-release check.
    ReleaseCheck {
        /// The account to check with (default the official test account).
        #[arg(long)]
        appid: Option<String>,
        /// Seconds to wait for the customer-service message.
        #[arg(long)]
        deadline_secs: Option<f64>,
    },
    /// Show call counts per path and appid.
    Calls,
    /// Show the recent pushes.
    Pushes,
    /// Forget every token, code, authorizer, count and fault.
    Reset,
}

/// `wxsim authorize`.
#[derive(Debug, Args)]
pub struct AuthorizeArgs {
    /// The pre-auth code of the link.
    #[arg(long, required_unless_present = "url")]
    pub pre_auth_code: Option<String>,
    /// The account that authorizes (may come from the link's `biz_appid`).
    #[arg(long, required_unless_present = "url")]
    pub appid: Option<String>,
    /// The account is a mini program.
    #[arg(long)]
    pub mini_program: bool,
    /// Where the browser is sent afterwards.
    #[arg(long)]
    pub redirect_uri: Option<String>,
    /// The whole authorization link (PC or H5) instead of its parts.
    #[arg(long)]
    pub url: Option<String>,
}

/// `wxsim message`.
#[derive(Debug, Args)]
pub struct MessageArgs {
    /// The authorizer appid.
    #[arg(long)]
    pub appid: String,
    /// Send this text.
    #[arg(long, conflicts_with = "event")]
    pub text: Option<String>,
    /// Send this event (subscribe, CLICK, LOCATION, ...).
    #[arg(long)]
    pub event: Option<String>,
    /// EventKey of the event.
    #[arg(long, requires = "event")]
    pub event_key: Option<String>,
    /// Sender openid.
    #[arg(long)]
    pub from: Option<String>,
    /// Body format: xml or json (default the configured one).
    #[arg(long)]
    pub format: Option<String>,
    /// Push unencrypted (no safe mode).
    #[arg(long)]
    pub plain: bool,
    /// Push Cloud Run style (plain JSON with x-wx-source).
    #[arg(long)]
    pub cloudrun: bool,
}

/// Runs a client subcommand: prints the answer and maps it to an exit code
/// (1 when a push was not delivered, a check failed or WeChat-style errcode
/// came back; 2 when the simulator could not be reached).
pub async fn run_client(sim: &str, command: Command) -> ExitCode {
    let (method, path, body) = match request_for(command) {
        Some(request) => request,
        None => return ExitCode::SUCCESS,
    };
    let url = format!("{}{}", sim.trim_end_matches('/'), path);
    let client = match reqwest::Client::builder().no_proxy().build() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("wxsim: cannot build an HTTP client: {e}");
            return ExitCode::from(2);
        }
    };
    let request = match method {
        "GET" => client.get(&url),
        _ => client.post(&url).json(&body),
    };
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => {
            eprintln!("wxsim: cannot reach the simulator at {url}: {e}");
            return ExitCode::from(2);
        }
    };
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    let printed = serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
    // A closed pipe (`wxsim calls | head`) is not an error worth a panic.
    let _ = writeln!(std::io::stdout(), "{printed}");
    if !status.is_success() {
        eprintln!("wxsim: {url} answered HTTP {status}");
        return ExitCode::from(2);
    }
    if failed(&value) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Whether an answer reports a failure: a non-zero errcode, a failed check,
/// or a push that was not delivered.
pub fn failed(value: &Value) -> bool {
    let errcode = value.get("errcode").and_then(Value::as_i64).unwrap_or(0);
    let check_failed = value.get("passed") == Some(&Value::Bool(false));
    let push_failed = value
        .get("push")
        .and_then(|p| p.get("delivered"))
        .is_some_and(|d| d == &Value::Bool(false));
    errcode != 0 || check_failed || push_failed
}

fn request_for(command: Command) -> Option<(&'static str, &'static str, Value)> {
    Some(match command {
        Command::Serve => return None,
        Command::PushTicket => ("POST", "/__sim/push/ticket", json!({})),
        Command::PreAuthCode => ("POST", "/__sim/preauthcode", json!({})),
        Command::Authorize(a) => {
            let mut body = json!({});
            if let Some(appid) = a.appid {
                body["authorizer_appid"] = json!(appid);
            }
            if a.mini_program {
                body["is_mini_program"] = json!(true);
            }
            if let Some(code) = a.pre_auth_code {
                body["pre_auth_code"] = json!(code);
            }
            if let Some(uri) = a.redirect_uri {
                body["redirect_uri"] = json!(uri);
            }
            if let Some(url) = a.url {
                body["url"] = json!(url);
            }
            ("POST", "/__sim/authorize", body)
        }
        Command::Unauthorize { appid } => (
            "POST",
            "/__sim/unauthorize",
            json!({"authorizer_appid": appid}),
        ),
        Command::AuthCode {
            appid,
            mini_program,
        } => (
            "POST",
            "/__sim/auth-code",
            json!({"authorizer_appid": appid, "is_mini_program": mini_program}),
        ),
        Command::Message(m) => {
            let mut body = json!({"appid": m.appid, "encrypted": !m.plain});
            match (m.text, m.event) {
                (_, Some(event)) => {
                    body["msg_type"] = json!("event");
                    body["event"] = json!(event);
                    if let Some(key) = m.event_key {
                        body["event_key"] = json!(key);
                    }
                }
                (text, None) => {
                    body["msg_type"] = json!("text");
                    body["content"] = json!(text.unwrap_or_else(|| "hello".into()));
                }
            }
            if let Some(from) = m.from {
                body["from"] = json!(from);
            }
            if let Some(format) = m.format {
                body["format"] = json!(format);
            }
            if m.cloudrun {
                body["cloudrun"] = json!(true);
            }
            ("POST", "/__sim/message", body)
        }
        Command::ReleaseCheck {
            appid,
            deadline_secs,
        } => (
            "POST",
            "/__sim/release-check",
            json!({"appid": appid, "deadline_secs": deadline_secs}),
        ),
        Command::Calls => ("GET", "/__sim/calls", Value::Null),
        Command::Pushes => ("GET", "/__sim/pushes", Value::Null),
        Command::Reset => ("POST", "/__sim/reset", json!({})),
    })
}
