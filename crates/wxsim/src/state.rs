//! Everything the simulator remembers, shared by the fake API, the pusher and
//! the control endpoints. Each area has its own lock, never held across an await.

use std::sync::Mutex;

use common::crypto::WxCrypt;

use crate::account_state::AccountState;
use crate::calls::{lock, CallLog};
use crate::clock::Clock;
use crate::component_state::ComponentState;
use crate::domain_state::DomainState;
use crate::reviewer::Reviewer;
use crate::settings::SimSettings;
use crate::tokens::TokenRegistry;

/// The simulator's state.
#[derive(Debug)]
pub struct SimState {
    /// Configuration it was started with.
    pub settings: SimSettings,
    /// Encrypts and signs pushes with the platform's token, key and appid.
    pub crypt: WxCrypt,
    /// Simulated time.
    pub clock: Clock,
    /// Call counts and faults.
    pub calls: CallLog,
    /// Every access token issued.
    pub tokens: Mutex<TokenRegistry>,
    /// Tickets, pre-auth and auth codes, authorizers.
    pub component: Mutex<ComponentState>,
    /// Authorizer-side data: menus, tags, users, messages sent, mini-program code.
    pub accounts: Mutex<AccountState>,
    /// The platform's and each mini program's server and business domains.
    pub domains: Mutex<DomainState>,
    /// How submitted audits are decided.
    pub reviewer: Mutex<Reviewer>,
}

impl SimState {
    /// State for `settings`; fails if the configured EncodingAESKey is unusable.
    pub fn new(settings: SimSettings) -> Result<Self, common::crypto::CryptoError> {
        let crypt = WxCrypt::new(
            &settings.token,
            &settings.encoding_aes_key,
            &settings.component_appid,
        )?;
        Ok(Self {
            settings,
            crypt,
            clock: Clock::default(),
            calls: CallLog::default(),
            tokens: Mutex::new(TokenRegistry::default()),
            component: Mutex::new(ComponentState::default()),
            accounts: Mutex::new(AccountState::default()),
            domains: Mutex::new(DomainState::default()),
            reviewer: Mutex::new(Reviewer::default()),
        })
    }

    /// Current simulated Unix time.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Forgets everything but the settings: counts, faults, tokens, codes,
    /// authorizers, account data, domains and the reviewers' rules; time
    /// back to real time.
    pub fn reset(&self) {
        self.calls.reset();
        self.clock.reset();
        *lock(&self.tokens) = TokenRegistry::default();
        *lock(&self.component) = ComponentState::default();
        *lock(&self.accounts) = AccountState::default();
        *lock(&self.domains) = DomainState::default();
        *lock(&self.reviewer) = Reviewer::default();
    }
}
