//! The lab terminal in headless Chromium: open lesson 2, start (provision) the learner's
//! cluster, open the terminal, run kubectl, then exec into a mysql pod and count rows, with a
//! screenshot of each step in `target/test-artifacts/`.

use std::time::{Duration, Instant};

use anyhow::bail;
use chromiumoxide::Page;
use kubedojo_tests::{TestServer, workspace_root};

use crate::browser::{
    Chromium, learner_cookie, require_built_site, wait_for_hydration, wait_until,
};

const LESSON: &str = "02-bare-pod-data-loss";
/// kubectl round trips against the sandbox are fast; a pod becoming Ready takes a little longer.
const COMMAND_WAIT: Duration = Duration::from_secs(60);

/// The terminal's screen text (xterm's buffer, read through the glue's test hook).
async fn screen(page: &Page) -> anyhow::Result<String> {
    Ok(page
        .evaluate("window.kubedojoTerminal ? window.kubedojoTerminal.screen() : ''")
        .await?
        .into_value::<String>()?)
}

/// Types `line` into the terminal, presses Enter and waits until the prompt is back; returns
/// what the command printed (the screen after the line it was typed on).
async fn run(page: &Page, line: &str) -> anyhow::Result<String> {
    let input = page.find_element(".xterm-helper-textarea").await?;
    input.click().await?;
    input.type_str(line).await?;
    input.press_key("Enter").await?;
    let typed = format!("$ {line}");
    let started = Instant::now();
    loop {
        let text = screen(page).await?;
        // The command's output, up to the next (empty) prompt.
        if let Some((_, after)) = text.rsplit_once(&typed)
            && let Some((output, _)) = after
                .split_once("\n$\n")
                .or_else(|| after.trim_end().strip_suffix("\n$").map(|o| (o, "")))
        {
            return Ok(output.to_string());
        }
        if started.elapsed() > COMMAND_WAIT {
            bail!("{line:?} did not finish within {COMMAND_WAIT:?}; screen:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A screenshot with the terminal in view.
async fn screenshot(page: &Page, name: &str) -> anyhow::Result<()> {
    page.evaluate("document.querySelector('.lab-terminal')?.scrollIntoView({block: 'center'})")
        .await?;
    crate::browser::screenshot(page, name).await
}

#[tokio::test]
#[ignore = "needs Chromium and the built site; run by `cargo xtask test`"]
async fn learner_runs_kubectl_and_counts_mysql_rows_in_the_lab_terminal() -> anyhow::Result<()> {
    require_built_site()?;
    let server = TestServer::start().await?;
    let chromium = Chromium::launch().await?;
    let page = chromium
        .browser
        .new_page(server.url(&format!("/lessons/{LESSON}")))
        .await?;
    wait_for_hydration(&page).await?;

    // The terminal's files are loaded only when it is opened.
    let loaded: bool = page
        .evaluate("!!document.querySelector('script[data-kubedojo-terminal]')")
        .await?
        .into_value()?;
    assert!(
        !loaded,
        "xterm.js must not load before the terminal is opened"
    );
    screenshot(&page, "terminal-1-lesson").await?;
    // Blocks of kubectl commands offer "Run" where there is a terminal.
    let run_buttons: u32 = page
        .evaluate("document.querySelectorAll('.lesson-body .code-block .run').length")
        .await?
        .into_value()?;
    assert!(
        run_buttons > 0,
        "no Run buttons on the lesson's kubectl blocks"
    );

    // "Start": the lead's lab endpoint does this; here the test provisions directly.
    let learner = learner_cookie(&page).await?;
    tokio::time::timeout(COMMAND_WAIT, server.clusters.provision(&learner).wait()).await??;

    // The first click can land while the panel is still being drawn: click until the terminal
    // is mounted.
    crate::browser::click_until(
        &page,
        ".terminal-open",
        "the terminal to open",
        "document.querySelector('[data-terminal-mount]')?.hidden === false",
    )
    .await?;
    wait_until(
        &page,
        "the terminal's prompt",
        "document.querySelector('[data-terminal-mount]')?.dataset.running === 'false'",
    )
    .await?;
    let pods = run(&page, "kubectl get pods").await?;
    assert!(
        pods.contains("No resources found in default namespace."),
        "{pods}"
    );
    screenshot(&page, "terminal-2-get-pods").await?;

    let manifests = workspace_root()
        .join("lessons")
        .join(LESSON)
        .join("manifests");
    let secret = std::fs::read_to_string(manifests.join("secret.yaml"))?;
    server.clusters.apply(&learner, &secret).await?;
    // The lab's manifests are kubectl's working directory, so the lesson's line works as is;
    // the server's files stay out of reach.
    let applied = run(&page, "kubectl apply -f bare-pod.yaml").await?;
    assert!(applied.contains("pod/mysql created"), "{applied}");
    let refused = run(&page, "kubectl apply -f /etc/hostname").await?;
    assert!(
        refused.contains("only the lab's own files can be used here"),
        "{refused}"
    );
    let ready = run(
        &page,
        "kubectl wait --for=condition=Ready pod/mysql --timeout=50s",
    )
    .await?;
    assert!(ready.contains("pod/mysql condition met"), "{ready}");
    screenshot(&page, "terminal-3-mysql-ready").await?;

    // -it: kubectl exec on the PTY, like a learner at a real terminal.
    let sql = "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT); \
               INSERT INTO shop.orders VALUES (1),(2),(3); \
               SELECT COUNT(*) AS orders FROM shop.orders";
    let count = run(
        &page,
        &format!("kubectl exec -it mysql -- mysql -uroot -pchange-me -e '{sql}'"),
    )
    .await?;
    assert!(count.contains("orders"), "{count}");
    assert!(
        count
            .lines()
            .any(|l| l.trim().trim_matches('|').trim() == "3"),
        "expected a count of 3:\n{count}"
    );
    screenshot(&page, "terminal-4-mysql-count").await?;

    // Not a shell: other programs are refused with a reason.
    let refused = run(&page, "ls").await?;
    assert!(
        refused.contains("ls: command not available here"),
        "{refused}"
    );
    chromium.close().await;
    Ok(())
}

#[tokio::test]
#[ignore = "needs Chromium and the built site; run by `cargo xtask test`"]
async fn run_button_opens_the_terminal_and_types_the_blocks_commands() -> anyhow::Result<()> {
    require_built_site()?;
    let server = TestServer::start().await?;
    let chromium = Chromium::launch().await?;
    let page = chromium
        .browser
        .new_page(server.url(&format!("/lessons/{LESSON}")))
        .await?;
    wait_for_hydration(&page).await?;
    let first_command: String = page
        .evaluate(
            "document.querySelector('.lesson-body .code-block .run')\
               .parentElement.querySelector('.tok-command').textContent",
        )
        .await?
        .into_value()?;
    assert!(first_command.starts_with("kubectl "), "{first_command}");

    // The terminal is closed: Run loads it, then types the command once the prompt is there.
    page.find_element(".lesson-body .code-block .run")
        .await?
        .click()
        .await?;
    let typed = format!("$ {first_command}");
    let started = Instant::now();
    loop {
        let text = screen(&page).await?;
        // No cluster was started, so the terminal says how to start one.
        if text.contains(&typed) && text.contains("press Start in the lab panel") {
            break;
        }
        if started.elapsed() > COMMAND_WAIT {
            bail!("Run did not type {first_command:?}; screen:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&page, "terminal-5-run-button").await?;
    chromium.close().await;
    Ok(())
}
