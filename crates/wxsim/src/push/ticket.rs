//! The background `component_verify_ticket` pusher.

use std::time::Duration;

use actix_web::web;

use crate::state::SimState;

/// Stops the background ticket pusher when dropped.
#[derive(Debug)]
pub struct TicketPusher(Option<tokio::task::JoinHandle<()>>);

impl TicketPusher {
    /// A pusher that does nothing (interval 0, or no runtime to run on).
    pub fn off() -> Self {
        Self(None)
    }

    /// Whether a background task is running.
    pub fn is_running(&self) -> bool {
        self.0.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// Stops the task now.
    pub fn stop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.abort();
        }
    }
}

impl Drop for TicketPusher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts pushing a fresh `component_verify_ticket` at once and then every
/// `ticket_interval_secs` (0 = never), as WeChat does every ten minutes. A
/// push that fails is logged; the next one comes on schedule.
pub fn spawn_ticket_pusher(state: web::Data<SimState>) -> TicketPusher {
    let interval = state.settings.ticket_interval_secs;
    if interval == 0 {
        return TicketPusher::off();
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no tokio runtime: the ticket pusher is not started");
        return TicketPusher::off();
    };
    let handle = runtime.spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(interval));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let pushed = crate::flows::push_ticket(&state).await;
            if pushed.push.delivered {
                tracing::info!(
                    attempts = pushed.push.attempts,
                    "component_verify_ticket pushed"
                );
            } else {
                tracing::warn!(
                    url = %pushed.push.url,
                    error = pushed.push.error.as_deref().unwrap_or(""),
                    "component_verify_ticket push failed"
                );
            }
        }
    });
    TicketPusher(Some(handle))
}
