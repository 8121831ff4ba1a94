//! Business service binary: load settings, start, serve until stopped.

use business::Application;
use common::config::Settings;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::memory::purge_at_once();
    let settings = Settings::load()?;
    common::telemetry::init(&settings.log);
    let app = Application::build(settings).await?;
    tracing::info!(address = %app.address(), "business service listening");
    app.run_until_stopped().await?;
    Ok(())
}
