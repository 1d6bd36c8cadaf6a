//! An instructor-led workshop in Chromium: the instructor signs in and creates a workshop on
//! the lesson 2 lab; a learner (a second browser context, so other cookies) joins with the
//! code, starts the lab and fixes it as the solution says; the instructor's grid shows the
//! learner and then the passed task live, without a reload.
//!
//! Needs `/usr/bin/chromium` and the built site (`cargo xtask test` provides both).

use std::time::Instant;

use anyhow::Context as _;
use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use kubedojo_tests::{INSTRUCTOR_TOKEN, TestServer};

use crate::browser::{
    Chromium, click_until, learner_cookie, require_built_site, screenshot, wait_for_hydration,
    wait_until,
};

const LAB: &str = "02-bare-pod-data-loss";
const TASK: &str = "deployment-pvc";
async fn text(page: &Page, selector: &str) -> anyhow::Result<String> {
    Ok(page
        .find_element(selector)
        .await?
        .inner_text()
        .await?
        .unwrap_or_default())
}

/// Types into the field `selector` (clicked first so it has the focus).
async fn fill(page: &Page, selector: &str, value: &str) -> anyhow::Result<()> {
    page.find_element(selector)
        .await?
        .click()
        .await?
        .type_str(value)
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and the built site; run by `cargo xtask test`"]
async fn instructor_grid_shows_a_learner_passing_a_task_live() -> anyhow::Result<()> {
    require_built_site()?;
    let server = TestServer::start().await?;
    let chromium = Chromium::launch().await?;

    // The instructor signs in and creates a workshop on the lesson 2 lab.
    let instructor = chromium.browser.new_page(server.url("/instructor")).await?;
    wait_for_hydration(&instructor).await?;
    fill(&instructor, "#instructor-token", INSTRUCTOR_TOKEN).await?;
    instructor
        .find_element(".sign-in button[type=submit]")
        .await?
        .click()
        .await?;
    wait_until(
        &instructor,
        "the create form",
        "document.querySelector('.create-workshop') !== null",
    )
    .await?;
    fill(&instructor, "#workshop-title", "Volumes, hands on").await?;
    instructor
        .find_element(format!("input[name='new[labs][]'][value='{LAB}']"))
        .await?
        .click()
        .await?;
    instructor
        .find_element(".create-workshop-button")
        .await?
        .click()
        .await?;
    wait_until(
        &instructor,
        "the workshop page",
        "location.pathname.startsWith('/instructor/workshops/') && document.querySelector('.join-code') !== null",
    )
    .await?;
    wait_for_hydration(&instructor).await?;
    let code = text(&instructor, ".join-code").await?;
    assert!(!code.is_empty(), "a join code is shown");
    assert!(
        instructor
            .evaluate("document.querySelector('.join-qr svg') !== null")
            .await?
            .into_value::<bool>()?,
        "the QR code is drawn"
    );
    // Set in the page: it survives only if the page is never reloaded.
    instructor.evaluate("window.__sameDocument = true").await?;
    screenshot(&instructor, "workshop-1-created").await?;

    // A learner joins with the code, in a context of their own (their own cookies).
    let context = chromium
        .browser
        .create_browser_context(CreateBrowserContextParams::default())
        .await?;
    let learner = chromium
        .browser
        .new_page(
            CreateTargetParams::builder()
                .url(server.url(&format!("/join/{code}")))
                .browser_context_id(context)
                .build()
                .map_err(anyhow::Error::msg)?,
        )
        .await?;
    wait_for_hydration(&learner).await?;
    assert!(
        text(&learner, ".join-preview h2")
            .await?
            .contains("Volumes, hands on"),
        "the join page names the workshop"
    );
    fill(&learner, "#join-name", "Ada").await?;
    learner.find_element(".join-button").await?.click().await?;
    wait_until(
        &learner,
        "the lab's lesson with the workshop banner",
        &format!(
            "location.pathname === '/lessons/{LAB}' && document.querySelector('.workshop-banner') !== null"
        ),
    )
    .await?;
    assert!(
        text(&learner, ".workshop-banner")
            .await?
            .contains("Volumes, hands on")
    );

    // The instructor's grid shows the learner, live.
    wait_until(
        &instructor,
        "the learner's row",
        "[...document.querySelectorAll('.workshop-grid tbody tr')].some(tr => tr.textContent.includes('Ada'))",
    )
    .await?;
    let cell = format!(
        "document.querySelector(\"tr[data-learner] td[data-task='{TASK}']\")?.dataset.state"
    );
    let before = instructor
        .evaluate(cell.as_str())
        .await?
        .into_value::<String>()
        .context("the learner has a cell for the task")?;
    assert_ne!(before, "passed");

    // The learner starts the lab and fixes it as the solution says.
    learner
        .find_element("button.start-lab")
        .await?
        .click()
        .await?;
    wait_until(
        &learner,
        "the cluster to be ready",
        "document.querySelector('.cluster-status.ready') !== null",
    )
    .await?;
    let id = learner_cookie(&learner).await?;
    let manifest = std::fs::read_to_string(
        kubedojo_tests::workspace_root().join(format!("lessons/{LAB}/manifests/{TASK}.yaml")),
    )?;
    server.clusters.apply(&id, &manifest).await?;
    click_until(
        &learner,
        "button[data-action=insert-persistent]",
        "rows inserted",
        "[...document.querySelectorAll('.lab-timeline li')].some(li => li.textContent.includes('rows'))",
    )
    .await?;
    click_until(
        &learner,
        "button.check-now",
        "the task to pass",
        &format!(
            "document.querySelector('[data-task={TASK}]')?.classList.contains('passed') === true"
        ),
    )
    .await?;

    // The instructor's cell turns "passed" without a reload, and the totals count it.
    let passed_at = Instant::now();
    wait_until(
        &instructor,
        "the grid cell to pass",
        &format!("{cell} === 'passed'"),
    )
    .await?;
    println!(
        "grid cell passed {} ms after the learner's page did",
        passed_at.elapsed().as_millis()
    );
    assert!(
        instructor
            .evaluate("window.__sameDocument === true")
            .await?
            .into_value::<bool>()?,
        "the instructor's page was not reloaded"
    );
    let totals = text(&instructor, ".workshop-grid tfoot").await?;
    assert!(totals.contains("✓ 1"), "{totals}");
    screenshot(&instructor, "workshop-2-passed").await?;

    chromium.close().await;
    server.stop().await;
    Ok(())
}
