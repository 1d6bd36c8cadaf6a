//! Workshops through real HTTP: the instructor signs in with the token, creates a workshop on
//! the lesson 2 lab, two learners join with the code, one solves a task and the instructor's
//! live grid (SSE) shows it; a chaos broadcast reaches the learner with a cluster and skips the
//! other; results export as CSV and JSON; the end removes clusters and closes the door. And
//! the guards: no token, a wrong token, a cross-site form, a forged learner cookie.

use std::time::Duration;

use anyhow::Context as _;
use kubedojo_tests::post_form as call;
use kubedojo_tests::post_ok as ok;
use kubedojo_tests::{INSTRUCTOR_TOKEN, TestServer, workspace_root};
use serde_json::Value;

const LAB: &str = "02-bare-pod-data-loss";
const TIMEOUT: Duration = Duration::from_secs(90);

fn client() -> anyhow::Result<reqwest::Client> {
    kubedojo_tests::learner_client(Duration::from_secs(120))
}

async fn instructor(server: &TestServer) -> anyhow::Result<reqwest::Client> {
    let client = client()?;
    ok(
        &client,
        server,
        "instructor-login",
        &[("token", INSTRUCTOR_TOKEN)],
    )
    .await?;
    Ok(client)
}

async fn wait_for_event(
    client: &reqwest::Client,
    url: String,
    kind: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    kubedojo_tests::sse::wait_for_event(client, url, kind, what, TIMEOUT, done).await
}

fn cells_of<'a>(view: &'a Value, name: &str) -> Option<&'a Vec<Value>> {
    view["grid"]["learners"]
        .as_array()?
        .iter()
        .find(|l| l["name"] == name)?["cells"]
        .as_array()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instructor_routes_need_the_token_and_forms_must_come_from_our_pages() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    let anonymous = client()?;
    let (status, body) = call(&anonymous, &server, "instructor-workshops", &[]).await?;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("instructor token"), "{body}");
    let (status, body) = call(
        &anonymous,
        &server,
        "instructor-login",
        &[("token", "guess")],
    )
    .await?;
    assert_eq!(status, 401, "{body}");
    for path in [
        "/api/instructor/workshops/x/events",
        "/api/instructor/workshops/x/learners/k/watch",
        "/instructor/workshops/x/results.csv",
    ] {
        let response = anonymous.get(server.url(path)).send().await?;
        assert_eq!(response.status(), 401, "{path}");
    }

    // Signed in, the instructor pages hydrate with their own bundle; learners' pages do not
    // download it.
    let teacher = instructor(&server).await?;
    let page = |path: &'static str| {
        let teacher = teacher.clone();
        let url = server.url(path);
        async move { teacher.get(url).send().await?.text().await }
    };
    let html = page("/instructor").await?;
    assert!(html.contains("/pkg/kubedojo-instructor.js"), "{html}");
    for learners_page in ["/", "/join"] {
        let html = page(learners_page).await?;
        assert!(html.contains("/pkg/kubedojo.js"), "{learners_page}: {html}");
        assert!(
            !html.contains("kubedojo-instructor"),
            "{learners_page}: {html}"
        );
    }

    // An unknown workshop is a 404 and an unknown export a 400.
    let (status, _) = call(&teacher, &server, "instructor-workshop", &[("id", "nope")]).await?;
    assert_eq!(status, 404);
    let response = teacher
        .get(server.url("/instructor/workshops/nope/results.xls"))
        .send()
        .await?;
    assert_eq!(response.status(), 400);

    // A form posted from another site is refused before it reaches the server function.
    let response = teacher
        .post(server.url("/api/instructor-end"))
        .header("origin", "http://evil.example")
        .form(&[("id", "x")])
        .send()
        .await?;
    assert_eq!(response.status(), 403);

    // A learner cookie the server did not sign is ignored: a new learner gets a new cookie.
    let forged = format!(
        "kubedojo_learner={}",
        kubedojo_progress::LearnerId::generate()
    );
    let response = reqwest::Client::new()
        .get(server.url("/"))
        .header("cookie", forged)
        .send()
        .await?;
    assert!(
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().is_ok_and(|c| c.starts_with("kubedojo_learner="))),
        "a forged id is replaced"
    );

    // Join codes: nonsense and unknown codes are 404s; guessing is rate limited.
    let learner = client()?;
    let (status, body) = call(&learner, &server, "workshop-preview", &[("code", "x")]).await?;
    assert_eq!(status, 404, "{body}");
    let mut limited = false;
    for _ in 0..100 {
        let (status, _) = call(
            &learner,
            &server,
            "workshop-preview",
            &[("code", "ABCD-EFGH")],
        )
        .await?;
        if status == 429 {
            limited = true;
            break;
        }
        assert_eq!(status, 404);
    }
    assert!(limited, "guessing codes is rate limited");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workshop_from_creation_to_export() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let teacher = instructor(&server).await?;

    let labs = ok(&teacher, &server, "instructor-labs", &[]).await?;
    assert!(
        labs.as_array()
            .is_some_and(|l| l.iter().any(|l| l["slug"] == LAB)),
        "{labs}"
    );
    let (status, body) = call(
        &teacher,
        &server,
        "instructor-create",
        &[
            ("new[title]", " "),
            ("new[labs][0]", LAB),
            ("new[capacity]", "2"),
            ("new[duration_minutes]", "60"),
        ],
    )
    .await?;
    assert_eq!(status, 400, "an empty title: {body}");
    // This server runs on the embedded sandbox only: no real cluster to offer.
    let backends = ok(&teacher, &server, "instructor-backends", &[]).await?;
    assert_eq!(backends, serde_json::json!(["sandbox"]));
    let (status, body) = call(
        &teacher,
        &server,
        "instructor-create",
        &[
            ("new[title]", "On kind"),
            ("new[labs][0]", LAB),
            ("new[capacity]", "2"),
            ("new[duration_minutes]", "60"),
            ("new[backend]", "cluster"),
        ],
    )
    .await?;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("--kubeconfig"), "{body}");
    let created = ok(
        &teacher,
        &server,
        "instructor-create",
        &[
            ("new[title]", "Stateful <b>day</b>"),
            ("new[labs][0]", LAB),
            ("new[capacity]", "2"),
            ("new[duration_minutes]", "60"),
            ("new[backend]", "sandbox"),
        ],
    )
    .await?;
    assert_eq!(created["backend"], "sandbox");
    let id = created["id"].as_str().context("id")?.to_string();
    let code = created["code"].as_str().context("code")?.to_string();
    assert!(
        created["qr_svg"]
            .as_str()
            .is_some_and(|s| s.contains("<svg"))
    );
    assert_eq!(created["state"], "running");

    // Two learners join (the code typed in lower case); a third finds it full.
    let ada = client()?;
    let preview = ok(
        &ada,
        &server,
        "workshop-preview",
        &[("code", &code.to_lowercase())],
    )
    .await?;
    assert_eq!(preview["seats_left"], 2);
    let joined = ok(
        &ada,
        &server,
        "workshop-join",
        &[("code", &code), ("name", "Ada")],
    )
    .await?;
    assert_eq!(joined["display_name"], "Ada");
    let bob = client()?;
    ok(
        &bob,
        &server,
        "workshop-join",
        &[("code", &code), ("name", "Bob")],
    )
    .await?;
    let cy = client()?;
    let (status, body) = call(
        &cy,
        &server,
        "workshop-join",
        &[("code", &code), ("name", "Cy")],
    )
    .await?;
    assert_eq!(status, 409, "{body}");
    // Ada rejoins from the same browser: still one seat, new name.
    ok(
        &ada,
        &server,
        "workshop-join",
        &[("code", &code), ("name", "Ada L.")],
    )
    .await?;
    let mine = ok(&ada, &server, "workshop-membership", &[]).await?;
    assert_eq!(mine["display_name"], "Ada L.");
    let nobody = ok(&cy, &server, "workshop-membership", &[]).await?;
    assert!(nobody.is_null(), "{nobody}");

    let events = server.url(&format!("/api/instructor/workshops/{id}/events"));
    let grid = wait_for_event(&teacher, events.clone(), "workshop", "two learners", |v| {
        v["grid"]["learners"].as_array().map(Vec::len) == Some(2)
    })
    .await?;
    assert!(
        cells_of(&grid, "Ada L.").is_some_and(|c| c.iter().all(|c| c == "not_started")),
        "{grid}"
    );

    // Ada starts the lab and solves the bare-pod task as in the lesson.
    ok(&ada, &server, "lab-start", &[("slug", LAB)]).await?;
    let lab_events = server.url(&format!("/api/labs/{LAB}/events"));
    wait_for_event(&ada, lab_events, "lab", "Ada's cluster", |v| {
        v["cluster"]["state"] == "ready"
    })
    .await?;
    let learner = server
        .clusters
        .learners()
        .into_iter()
        .next()
        .context("Ada has a cluster")?;
    let bare_pod = std::fs::read_to_string(
        workspace_root().join(format!("lessons/{LAB}/manifests/bare-pod.yaml")),
    )?;
    server.clusters.apply(&learner, &bare_pod).await?;
    ok(
        &ada,
        &server,
        "lab-action",
        &[("slug", LAB), ("action", "insert-bare")],
    )
    .await?;
    ok(
        &ada,
        &server,
        "lab-action",
        &[("slug", LAB), ("action", "delete-bare")],
    )
    .await?;
    server.clusters.apply(&learner, &bare_pod).await?;
    // The new pod takes a moment to be Ready; Ada checks until it is.
    kubedojo_tests::check_until_passed(&ada, &server, LAB, "bare-pod", TIMEOUT).await?;

    // The grid turns the first cell passed, live.
    let grid = wait_for_event(&teacher, events.clone(), "workshop", "Ada's pass", |v| {
        cells_of(v, "Ada L.").is_some_and(|c| c.first().is_some_and(|c| c == "passed"))
    })
    .await?;
    let first_task = &grid["grid"]["tasks"][0];
    assert_eq!(first_task["passed"], 1, "{first_task}");
    assert!(
        cells_of(&grid, "Bob").is_some_and(|c| c.iter().all(|c| c == "not_started")),
        "{grid}"
    );

    // Chaos: delete the bare pod everywhere. Ada's cluster has it; Bob has no cluster.
    let after = ok(
        &teacher,
        &server,
        "instructor-chaos",
        &[("id", &id), ("lab", LAB), ("action", "delete-bare")],
    )
    .await?;
    let report = &after["last_broadcast"];
    assert_eq!(report["succeeded"], 1, "{report}");
    assert_eq!(report["skipped"], 1, "{report}");
    let (status, body) = call(
        &teacher,
        &server,
        "instructor-chaos",
        &[("id", &id), ("lab", LAB), ("action", "rm-rf")],
    )
    .await?;
    assert_eq!(status, 400, "{body}");

    // Announcement and more time.
    let announced = ok(
        &teacher,
        &server,
        "instructor-announce",
        &[("id", &id), ("text", "Break until 11:00")],
    )
    .await?;
    assert_eq!(
        announced["grid"]["workshop"]["announcement"],
        "Break until 11:00"
    );
    let mine = ok(&bob, &server, "workshop-membership", &[]).await?;
    assert_eq!(mine["announcement"], "Break until 11:00");
    let before = announced["grid"]["workshop"]["seconds_left"]
        .as_u64()
        .unwrap_or(0);
    let extended = ok(
        &teacher,
        &server,
        "instructor-extend",
        &[("id", &id), ("minutes", "15")],
    )
    .await?;
    assert!(
        extended["grid"]["workshop"]["seconds_left"]
            .as_u64()
            .unwrap_or(0)
            >= before + 14 * 60,
        "{extended}"
    );

    // Export: every learner × task, with the pass.
    let csv = teacher
        .get(server.url(&format!("/instructor/workshops/{id}/results.csv")))
        .send()
        .await?;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await?;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 2 * 4, "{csv}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Ada L.,") && l.contains(",bare-pod,") && l.contains(",true,")),
        "{csv}"
    );
    let json: Value = teacher
        .get(server.url(&format!("/instructor/workshops/{id}/results.json")))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(8), "{json}");

    // The end: clusters removed, results kept, no more joins.
    let ended = ok(&teacher, &server, "instructor-end", &[("id", &id)]).await?;
    assert_eq!(ended["grid"]["workshop"]["state"], "ended");
    assert!(
        server.clusters.cluster_for(&learner).await.is_none(),
        "Ada's cluster is gone"
    );
    assert!(
        cells_of(&ended, "Ada L.").is_some_and(|c| c.first().is_some_and(|c| c == "passed")),
        "results stay: {ended}"
    );
    let (status, body) = call(
        &cy,
        &server,
        "workshop-join",
        &[("code", &code), ("name", "Cy")],
    )
    .await?;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("ended"), "{body}");
    Ok(())
}
