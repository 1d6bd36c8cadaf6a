//! What a learner clicks, in headless Chromium against the real server and the built bundle:
//! home → lesson 5 → next, mark as read, reload, and the state is kept.
//!
//! Needs `/usr/bin/chromium` and the built site (`cargo xtask test` provides both), so these
//! tests are `#[ignore]`d in a plain `cargo test` and run with `--include-ignored` by the xtask.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt as _;
use kubedojo_server::site::Site;
use kubedojo_tests::{TestServer, site_root};

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a browser test waits for one thing to show; generous, because CI runs browser tests
/// beside the rest of the suite on two cores.
pub(crate) const WAIT: Duration = Duration::from_secs(45);

/// A headless Chromium with its own profile, closed on drop of the handler task.
pub(crate) struct Chromium {
    pub(crate) browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub(crate) async fn launch() -> anyhow::Result<Self> {
        let profile = tempfile::tempdir()?;
        let config = BrowserConfig::builder()
            .chrome_executable(CHROMIUM)
            .no_sandbox()
            .user_data_dir(profile.path())
            .args([
                "--headless",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .launch_timeout(WAIT)
            .request_timeout(WAIT)
            .build()
            .map_err(anyhow::Error::msg)?;
        let (browser, mut events) = Browser::launch(config)
            .await
            .context("cannot start Chromium (is the `chromium` package installed?)")?;
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        Ok(Self {
            browser,
            handler,
            _profile: profile,
        })
    }

    pub(crate) async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.wait()).await;
        self.handler.abort();
    }
}

/// Evaluates `expression` until it returns `true`, for at most [`WAIT`].
pub(crate) async fn wait_until(page: &Page, what: &str, expression: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let value = page
            .evaluate(expression)
            .await
            .ok()
            .and_then(|r| r.into_value::<bool>().ok());
        if value == Some(true) {
            return Ok(());
        }
        if started.elapsed() > WAIT {
            let url = page.url().await.ok().flatten().unwrap_or_default();
            bail!("timed out after {WAIT:?} waiting for {what} (at {url})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn text_of(page: &Page, selector: &str) -> anyhow::Result<String> {
    Ok(page
        .find_element(selector)
        .await?
        .inner_text()
        .await?
        .unwrap_or_default())
}

pub(crate) async fn wait_for_hydration(page: &Page) -> anyhow::Result<()> {
    wait_until(
        page,
        "hydration",
        "document.body.dataset.hydrated === 'true'",
    )
    .await
}

pub(crate) fn require_built_site() -> anyhow::Result<()> {
    Site::new(site_root())
        .check_bundle()
        .context("browser tests need the built site: run `cargo xtask test`")
}

#[tokio::test]
#[ignore = "needs Chromium and the built site; run by `cargo xtask test`"]
async fn learner_reads_lesson_five_goes_next_and_marks_it_read() -> anyhow::Result<()> {
    require_built_site()?;
    let server = TestServer::start().await?;
    let lessons = server.catalog.lessons().to_vec();
    let (five, six) = (&lessons[4], &lessons[5]);
    let chromium = Chromium::launch().await?;
    let page = chromium.browser.new_page(server.url("/")).await?;
    wait_for_hydration(&page).await?;

    // Home → lesson 5 (client-side navigation once hydrated).
    page.find_element(format!("a[href='/lessons/{}']", five.slug))
        .await?
        .click()
        .await?;
    wait_until(
        &page,
        "lesson 5",
        &format!(
            "location.pathname === '/lessons/{}' && document.querySelector('h1')?.textContent === {:?}",
            five.slug, five.front.title
        ),
    )
    .await?;
    assert!(
        text_of(&page, ".eyebrow")
            .await?
            .starts_with("Part 5 of 18")
    );

    // The copy button on a code block works through the delegated handler.
    page.find_element(".lesson-body .copy")
        .await?
        .click()
        .await?;
    wait_until(
        &page,
        "copy feedback",
        "document.querySelector('.lesson-body .copy').textContent === 'Copied'",
    )
    .await?;

    // Next → lesson 6.
    page.find_element("a[rel='next']").await?.click().await?;
    wait_until(
        &page,
        "lesson 6",
        &format!(
            "document.querySelector('h1')?.textContent === {:?}",
            six.front.title
        ),
    )
    .await?;

    // Mark as read, reload, and it is still read.
    let button = ".read-toggle button";
    assert_eq!(text_of(&page, button).await?, "Mark as read");
    page.find_element(button).await?.click().await?;
    wait_until(
        &page,
        "the read state",
        &format!("document.querySelector({button:?}).textContent.startsWith('✓ Read')"),
    )
    .await?;
    page.reload().await?;
    wait_for_hydration(&page).await?;
    assert!(
        text_of(&page, button).await?.starts_with("✓ Read"),
        "kept after reload"
    );

    // The course map shows the progress too.
    page.goto(server.url("/")).await?;
    wait_for_hydration(&page).await?;
    assert!(
        text_of(&page, ".course-progress")
            .await?
            .contains("1 of 18 parts read")
    );

    chromium.close().await;
    server.stop().await;
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and the built site; run by `cargo xtask test`"]
async fn unknown_lessons_show_the_styled_not_found_page() -> anyhow::Result<()> {
    require_built_site()?;
    let server = TestServer::start().await?;
    let chromium = Chromium::launch().await?;
    let page = chromium
        .browser
        .new_page(server.url("/lessons/42-no-such-part"))
        .await?;
    wait_for_hydration(&page).await?;
    assert_eq!(text_of(&page, "h1").await?, "404 — nothing here");
    let styled = page
        .evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomStyle")
        .await?
        .into_value::<String>()?;
    assert_eq!(styled, "solid", "the stylesheet is applied");
    chromium.close().await;
    server.stop().await;
    Ok(())
}

/// Answers whatever the current interview question is: picks the first choice or line, or
/// types a short text; order questions are submitted as shown. A click can land while the new
/// card is still being laid out (it scrolls to the top when it appears), so the answer is
/// checked before submitting, and the submit is repeated until the interview moves on.
async fn answer_current_question(page: &Page, number: usize, total: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let kind = page
            .evaluate(
                "(() => { const f = document.querySelector('.answer-form');
                    if (f.querySelector('label.choice, label.code-line')) return 'pick';
                    if (f.querySelector('textarea, input[type=text]')) return 'text';
                    return 'as-is'; })()",
            )
            .await?
            .into_value::<String>()?;
        let answered = match kind.as_str() {
            "pick" => {
                if let Ok(label) = page
                    .find_element(".answer-form label.choice, .answer-form label.code-line")
                    .await
                {
                    let _ = label.click().await;
                }
                "document.querySelectorAll('.answer-form input:checked').length > 0"
            }
            "text" => {
                if let Ok(field) = page
                    .find_element(".answer-form textarea, .answer-form input[type=text]")
                    .await
                {
                    let _ = field.click().await;
                    let _ = field
                        .type_str("A StatefulSet gives each pod a stable name and its own PVC.")
                        .await;
                }
                "[...document.querySelectorAll('.answer-form textarea, .answer-form input[type=text]')].some(t => t.value.length > 0)"
            }
            _ => "true",
        };
        let ready = page
            .evaluate(answered)
            .await
            .ok()
            .and_then(|r| r.into_value::<bool>().ok())
            == Some(true);
        // No feedback is shown while the interview runs.
        let no_feedback = page
            .evaluate("document.querySelector('.feedback') === null")
            .await?
            .into_value::<bool>()?;
        assert!(no_feedback, "no feedback before the end");
        if ready {
            if let Ok(submit) = page.find_element(".answer-form .submit-answer").await {
                let _ = submit.click().await;
            }
            let next = if number == total {
                "document.querySelector('#results-title') !== null".to_string()
            } else {
                format!(
                    "document.querySelector('.interview-position')?.textContent === 'Question {} of {total}'",
                    number + 1
                )
            };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if page
                    .evaluate(next.as_str())
                    .await
                    .ok()
                    .and_then(|r| r.into_value::<bool>().ok())
                    == Some(true)
                {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        if started.elapsed() > WAIT {
            bail!("question {number} of {total} could not be answered");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_for_question(page: &Page, number: usize, total: usize) -> anyhow::Result<()> {
    let waited = wait_until(
        page,
        &format!("question {number} of {total}"),
        &format!(
            "document.querySelector('.interview-position')?.textContent === 'Question {number} of {total}'"
        ),
    )
    .await;
    if let Err(e) = waited {
        // Say what the page shows instead, so a failure can be understood from the log.
        let shown = page
            .evaluate(
                "JSON.stringify({position: document.querySelector('.interview-position')?.textContent,
                  error: document.querySelector('.form-error')?.textContent,
                  kind: document.querySelector('.quiz-card .badge:nth-child(2)')?.textContent,
                  checked: [...document.querySelectorAll('.answer-form input:checked')].length,
                  text: [...document.querySelectorAll('.answer-form textarea, .answer-form input[type=text]')].map(t => t.value.length)})",
            )
            .await
            .ok()
            .and_then(|r| r.into_value::<String>().ok())
            .unwrap_or_default();
        let _ = screenshot(page, &format!("interview-stuck-at-{number}")).await;
        bail!("{e}; the page shows {shown}");
    }
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and the built site; run by `cargo xtask test`"]
async fn interview_session_runs_resumes_after_reload_and_shows_results() -> anyhow::Result<()> {
    require_built_site()?;
    let server = TestServer::start().await?;
    let chromium = Chromium::launch().await?;
    let page = chromium.browser.new_page(server.url("/interview")).await?;
    wait_for_hydration(&page).await?;

    // Setup: part 5 only, 3 questions, plus the part 18 "say it back".
    page.find_element("input[name='parts[]'][value='05-headless-services']")
        .await?
        .click()
        .await?;
    page.evaluate("document.querySelector('select[name=count]').value = '3'")
        .await?;
    page.find_element(".interview-setup button[type=submit]")
        .await?
        .click()
        .await?;
    wait_for_question(&page, 1, 4).await?;

    // The timer is visible and counts down.
    let timer = text_of(&page, "[role=timer]").await?;
    assert!(
        timer.starts_with("19:") || timer == "20:00",
        "timer {timer}"
    );
    wait_until(
        &page,
        "the timer to tick",
        &format!("document.querySelector('[role=timer]').textContent !== {timer:?}"),
    )
    .await?;

    answer_current_question(&page, 1, 4).await?;
    wait_for_question(&page, 2, 4).await?;
    let prompt = text_of(&page, ".quiz-card .prompt").await?;

    // Reload mid-way: the same session resumes at the same question.
    page.reload().await?;
    wait_for_hydration(&page).await?;
    wait_for_question(&page, 2, 4).await?;
    assert_eq!(
        text_of(&page, ".quiz-card .prompt").await?,
        prompt,
        "same question"
    );

    answer_current_question(&page, 2, 4).await?;
    wait_for_question(&page, 3, 4).await?;
    answer_current_question(&page, 3, 4).await?;
    wait_for_question(&page, 4, 4).await?;
    assert!(
        text_of(&page, ".quiz-card .badge").await?.contains("18"),
        "the say-it-back from part 18 comes last"
    );
    answer_current_question(&page, 4, 4).await?;

    wait_until(
        &page,
        "the results",
        "document.querySelector('#results-title')?.textContent.startsWith('Your score:')",
    )
    .await?;
    let topics = text_of(&page, ".topic-scores").await?;
    assert!(
        topics.contains("5. ") && topics.contains("18. "),
        "{topics}"
    );
    let answered = text_of(&page, ".interview-results .muted").await?;
    assert!(
        answered.starts_with("4 of 4 questions answered"),
        "{answered}"
    );
    // Feedback is shown now, for every question.
    let feedback = page
        .evaluate("document.querySelectorAll('.interview-results .feedback').length")
        .await?
        .into_value::<usize>()?;
    assert_eq!(feedback, 4);

    chromium.close().await;
    server.stop().await;
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and the built site; run by `cargo xtask test`"]
async fn end_of_lesson_quiz_gives_immediate_feedback_and_reorders_in_place() -> anyhow::Result<()> {
    require_built_site()?;
    let server = TestServer::start().await?;
    let lesson = server.catalog.get("07-statefulsets").context("lesson 7")?;
    let quiz = lesson.quiz.as_ref().context("quiz")?;
    let order = quiz
        .questions
        .iter()
        .find(|q| matches!(q.kind, kubedojo_course::QuestionKind::Order { .. }))
        .context("an order question")?;
    let single = quiz
        .questions
        .iter()
        .find_map(|q| match q.kind {
            kubedojo_course::QuestionKind::Single { answer, .. } => Some((q, answer)),
            _ => None,
        })
        .context("a single-choice question")?;
    let chromium = Chromium::launch().await?;
    let page = chromium
        .browser
        .new_page(server.url(&format!("/lessons/{}/quiz", lesson.slug)))
        .await?;
    wait_for_hydration(&page).await?;

    // Reordering once hydrated swaps in place (no reload, no query string).
    let picks = format!(
        "[...document.querySelectorAll('#q-{} input[name=\"picks[]\"]')].map(i => i.value).join(',')",
        order.id
    );
    let before = page
        .evaluate(picks.as_str())
        .await?
        .into_value::<String>()?;
    page.find_element(format!(
        "#q-{} .order-item button[aria-label='Move item 1 down']",
        order.id
    ))
    .await?
    .click()
    .await?;
    let mut expected: Vec<&str> = before.split(',').collect();
    expected.swap(0, 1);
    let expected = expected.join(",");
    wait_until(&page, "the swap", &format!("{picks} === {expected:?}")).await?;
    assert_eq!(
        page.url().await?.unwrap_or_default(),
        server.url(&format!("/lessons/{}/quiz", lesson.slug))
    );

    // A right answer gets immediate feedback with the explanation and the section link.
    let (question, answer) = single;
    page.find_element(format!(
        "#q-{} input[type=radio][value='{answer}']",
        question.id
    ))
    .await?
    .click()
    .await?;
    page.find_element(format!("#q-{} .submit-answer", question.id))
        .await?
        .click()
        .await?;
    wait_until(
        &page,
        "feedback",
        &format!(
            "document.querySelector('#q-{} .feedback.right') !== null",
            question.id
        ),
    )
    .await?;
    let feedback = text_of(&page, &format!("#q-{} .feedback", question.id)).await?;
    assert!(
        feedback.contains("✓ Right") && feedback.contains("Revisit:"),
        "{feedback}"
    );
    assert!(
        text_of(&page, ".quiz-score")
            .await?
            .starts_with("Score so far:"),
        "the score updates"
    );

    chromium.close().await;
    server.stop().await;
    Ok(())
}

/// Saves a screenshot of the page under `target/test-artifacts/` (kept as a test artifact).
pub(crate) async fn screenshot(page: &Page, name: &str) -> anyhow::Result<()> {
    let dir = kubedojo_tests::workspace_root().join("target/test-artifacts");
    std::fs::create_dir_all(&dir)?;
    page.save_screenshot(
        chromiumoxide::page::ScreenshotParams::builder()
            .full_page(true)
            .build(),
        dir.join(format!("{name}.png")),
    )
    .await?;
    Ok(())
}

/// The learner id the browser got from the server (its `kubedojo_learner` cookie).
pub(crate) async fn learner_cookie(page: &Page) -> anyhow::Result<String> {
    page.get_cookies()
        .await?
        .into_iter()
        .find(|c| c.name == "kubedojo_learner")
        .map(|c| kubedojo_tests::learner_of_cookie(&c.value).to_string())
        .context("the server set no learner cookie")
}

/// Clicks `selector` once hydration made it interactive (the first click can land before the
/// event handlers are attached, so it is retried until `done` holds).
pub(crate) async fn click_until(
    page: &Page,
    selector: &str,
    what: &str,
    done: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if let Ok(element) = page.find_element(selector).await {
            let _ = element.click().await;
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            let value = page
                .evaluate(done)
                .await
                .ok()
                .and_then(|r| r.into_value::<bool>().ok());
            if value == Some(true) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("clicking {selector} did not lead to {what}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and the built site; run by `cargo xtask test`"]
async fn lab_panel_starts_a_cluster_runs_actions_diagnoses_and_passes() -> anyhow::Result<()> {
    const LAB: &str = "02-bare-pod-data-loss";
    require_built_site()?;
    let server = TestServer::start().await?;
    let chromium = Chromium::launch().await?;
    let page = chromium
        .browser
        .new_page(server.url(&format!("/lessons/{LAB}")))
        .await?;
    wait_for_hydration(&page).await?;
    screenshot(&page, "lab-1-before-start").await?;

    // Start: the progress shows, then the cluster is ready.
    page.find_element("button.start-lab").await?.click().await?;
    wait_until(
        &page,
        "the cluster to be ready",
        "document.querySelector('.cluster-status.ready') !== null",
    )
    .await?;
    screenshot(&page, "lab-2-ready").await?;
    let learner = learner_cookie(&page).await?;
    let manifest = |name: &str| {
        std::fs::read_to_string(
            kubedojo_tests::workspace_root().join(format!("lessons/{LAB}/manifests/{name}")),
        )
    };

    // The learner makes a realistic mistake: the claim mounted at the wrong path.
    server
        .clusters
        .apply(
            &learner,
            &manifest("mistakes/deployment-pvc-wrong-path.yaml")?,
        )
        .await?;
    let timeline_has = |text: &str| {
        format!(
            "[...document.querySelectorAll('.lab-timeline li')].some(li => li.textContent.includes({text:?}))"
        )
    };
    click_until(
        &page,
        "button[data-action=insert-persistent]",
        "rows inserted",
        &timeline_has("rows"),
    )
    .await?;
    click_until(
        &page,
        "button[data-action=delete-persistent]",
        "the pod deleted",
        &timeline_has("Delete the PVC"),
    )
    .await?;
    click_until(
        &page,
        "button.check-now",
        "a diagnosis naming the wrong path",
        "document.querySelector('[data-task=deployment-pvc] .diagnosis')?.textContent.includes('/var/lib/mysql-data') === true",
    )
    .await?;
    screenshot(&page, "lab-3-diagnosis").await?;

    // The solution, behind a confirmation.
    page.find_element("[data-task=deployment-pvc] .solution-confirm summary")
        .await?
        .click()
        .await?;
    click_until(
        &page,
        "[data-task=deployment-pvc] .solution-confirm button",
        "the solution",
        "document.querySelector('[data-task=deployment-pvc] .solution')?.textContent.includes('mountPath: /var/lib/mysql') === true",
    )
    .await?;

    // Fixed as the solution says: the task passes and the score counts it.
    server
        .clusters
        .apply(&learner, &manifest("deployment-pvc.yaml")?)
        .await?;
    click_until(
        &page,
        "button[data-action=insert-persistent]",
        "rows inserted again",
        "[...document.querySelectorAll('.lab-timeline li')].filter(li => li.textContent.includes('rows')).length >= 2",
    )
    .await?;
    click_until(
        &page,
        "button.check-now",
        "the task to pass",
        "document.querySelector('[data-task=deployment-pvc]')?.classList.contains('passed') === true",
    )
    .await?;
    let score = text_of(&page, ".lab-score").await?;
    assert!(score.starts_with("Score: 2 of"), "{score}");
    screenshot(&page, "lab-4-passed").await?;

    chromium.close().await;
    server.stop().await;
    Ok(())
}
