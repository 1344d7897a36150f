//! The Discord benchmark's control: a serenity bot with no database that
//! answers every slash command at once with a fixed message. Run through
//! the same benchmark (`BENCH_EXE=target/release/examples/bare_bot cargo
//! bench --bench discord`), it shows what the machine, serenity and the
//! fake Discord cost on their own, beside release-desk's figures.
//!
//! Takes the arguments `release-desk run --config FILE` takes and uses
//! only `discord.api_base` and `discord.guild_id` from the file.

use serenity::all::{
    ClientBuilder, Context, CreateInteractionResponse, CreateInteractionResponseMessage, EventHandler,
    GuildId, Interaction, Ready,
};

struct Answer {
    guild: u64,
}

#[serenity::async_trait]
impl EventHandler for Answer {
    async fn ready(&self, ctx: Context, _ready: Ready) {
        // The benchmark waits for a bulk overwrite, as release-desk does one.
        if let Err(e) = GuildId::new(self.guild).set_commands(&ctx.http, vec![]).await {
            eprintln!("cannot register: {e}");
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if let Interaction::Command(ci) = interaction {
            let reply =
                CreateInteractionResponse::Message(CreateInteractionResponseMessage::new().content("ok"));
            if let Err(e) = ci.create_response(&ctx.http, reply).await {
                eprintln!("cannot answer: {e}");
            }
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1))
        .ok_or_else(|| anyhow::anyhow!("usage: bare_bot run --config FILE"))?;
    // The same loader and checks as release-desk's, so both read one file alike.
    let config = release_desk::config::Config::load(Some(std::path::Path::new(path)))?;
    let base = config.discord.api_base.as_deref();
    let guild = match config.discord.guild_id {
        0 => anyhow::bail!("discord.guild_id is needed"),
        g => g,
    };
    let token = std::env::var("DISCORD_TOKEN").map_err(|_| anyhow::anyhow!("DISCORD_TOKEN is needed"))?;
    let (http, _) = release_desk::chat::discord::http::build(&token, base);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let handler = Answer { guild };
            let mut client =
                ClientBuilder::new_with_http(http, release_desk::chat::discord::runner::intents())
                    .event_handler(handler)
                    .await?;
            client.start().await?;
            Ok(())
        })
}
