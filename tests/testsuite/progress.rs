//! "Mark as read" through the server function, kept per learner cookie and across restarts.

use std::time::Duration;

use kubedojo_tests::TestServer;

const TIMEOUT: Duration = Duration::from_secs(30);
const SLUG: &str = "05-headless-services";

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(TIMEOUT)
        .cookie_store(true)
        .build()?)
}

async fn fetch(
    client: &reqwest::Client,
    server: &TestServer,
    path: &str,
) -> anyhow::Result<String> {
    Ok(client.get(server.url(path)).send().await?.text().await?)
}

async fn set_read(
    client: &reqwest::Client,
    server: &TestServer,
    slug: &str,
    read: bool,
) -> anyhow::Result<reqwest::Response> {
    Ok(client
        .post(server.url("/api/lesson-read"))
        .header("accept", "application/json")
        .form(&[
            ("slug", slug),
            ("read", if read { "true" } else { "false" }),
        ])
        .send()
        .await?)
}

#[tokio::test]
async fn read_state_is_per_learner_and_survives_a_restart() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let alice = client()?;
    // The first visit issues the learner cookie.
    let first = alice.get(server.url("/")).send().await?;
    assert!(
        first
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().is_ok_and(|c| c.starts_with("kubedojo_learner="))),
        "a learner cookie is set"
    );
    let response = set_read(&alice, &server, SLUG, true).await?;
    assert!(response.status().is_success(), "{}", response.text().await?);

    let page = fetch(&alice, &server, &format!("/lessons/{SLUG}")).await?;
    assert!(page.contains("✓ Read — mark as unread"));
    let home = fetch(&alice, &server, "/").await?;
    assert!(home.contains("1 of 18 parts read"));

    let bob = client()?;
    let page = fetch(&bob, &server, &format!("/lessons/{SLUG}")).await?;
    assert!(
        page.contains("Mark as read") && !page.contains("✓ Read"),
        "bob has his own progress"
    );

    let db = server.stop().await;
    let server = TestServer::start_with_db(db).await?;
    let page = fetch(&alice, &server, &format!("/lessons/{SLUG}")).await?;
    assert!(
        page.contains("✓ Read — mark as unread"),
        "kept across a restart"
    );

    set_read(&alice, &server, SLUG, false).await?;
    let home = fetch(&alice, &server, "/").await?;
    assert!(home.contains("0 of 18 parts read"));
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn bad_input_to_mark_as_read_is_refused_cleanly() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = client()?;
    let unknown = set_read(&client, &server, "99-nope", true).await?;
    assert_eq!(unknown.status(), 404);
    assert!(
        unknown
            .text()
            .await?
            .contains("no lesson is called `99-nope`")
    );

    let malformed = client
        .post(server.url("/api/lesson-read"))
        .header("accept", "application/json")
        .form(&[("slug", SLUG), ("read", "maybe")])
        .send()
        .await?;
    assert_eq!(malformed.status(), 400);
    let body = malformed.text().await?;
    assert!(!body.is_empty(), "an error message is returned");

    let home = fetch(&client, &server, "/").await?;
    assert!(home.contains("0 of 18 parts read"), "nothing was recorded");
    server.stop().await;
    Ok(())
}
