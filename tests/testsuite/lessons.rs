//! Every lesson is served by the real server over HTTP, and unknown lessons get a styled 404.

use std::time::Duration;

use kubedojo_tests::TestServer;

const TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn every_lesson_is_served_with_its_title_toc_and_neighbours() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
    let lessons = server.catalog.lessons().to_vec();
    assert_eq!(lessons.len(), 18, "the course has eighteen parts");
    for (i, lesson) in lessons.iter().enumerate() {
        let response = client
            .get(server.url(&format!("/lessons/{}", lesson.slug)))
            .send()
            .await?;
        assert_eq!(response.status(), 200, "{}", lesson.slug);
        let html = response.text().await?;
        let title = html_escape(&lesson.front.title);
        assert!(
            html.contains(&format!("<h1 id=\"lesson-title\">{title}</h1>")),
            "{}: title",
            lesson.slug
        );
        assert!(
            html.contains("id=\"common-mistakes\""),
            "{}: sections",
            lesson.slug
        );
        assert!(html.contains("class=\"toc\""), "{}: toc", lesson.slug);
        assert!(
            html.contains("Mark as read"),
            "{}: read toggle",
            lesson.slug
        );
        if let Some(next) = lessons.get(i + 1) {
            assert!(
                html.contains(&format!("href=\"/lessons/{}\"", next.slug)),
                "{}: next link",
                lesson.slug
            );
        }
        assert!(
            html.contains("/pkg/kubedojo.js"),
            "{}: hydration scripts",
            lesson.slug
        );
    }
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn home_lists_all_parts_in_sections() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let html = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()?
        .get(server.url("/"))
        .send()
        .await?
        .text()
        .await?;
    for lesson in server.catalog.lessons() {
        assert!(
            html.contains(&format!("href=\"/lessons/{}\"", lesson.slug)),
            "{}",
            lesson.slug
        );
    }
    assert!(html.contains("0 of 18 parts read"));
    assert!(html.contains("Volumes and storage"));
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn unknown_pages_and_lessons_are_styled_404s() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
    for path in [
        "/lessons/99-no-such-lesson",
        "/lessons/..%2F..%2Fetc%2Fpasswd",
        "/nope",
    ] {
        let response = client.get(server.url(path)).send().await?;
        assert_eq!(response.status(), 404, "{path}");
        let html = response.text().await?;
        assert!(html.contains("404 — nothing here"), "{path}: {html}");
        assert!(html.contains("/pkg/kubedojo.css"), "{path}: styled");
    }
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn health_reports_the_course() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let body: serde_json::Value = reqwest::get(server.url("/healthz")).await?.json().await?;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["lessons"], 18);
    server.stop().await;
    Ok(())
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
