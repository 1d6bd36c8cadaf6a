//! Quizzes through the real HTTP endpoints: every question of every part answered right scores
//! 100%, answered wrong scores 0; bad input is refused with a clear status; learner text is
//! escaped; an interview session runs, resumes and ends with results.

use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use kubedojo_course::{Answer, Question, QuestionKind};
use kubedojo_tests::TestServer;
use kubedojo_tests::post_form as post;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(30);

fn client() -> anyhow::Result<reqwest::Client> {
    kubedojo_tests::learner_client(TIMEOUT)
}

async fn answer(
    client: &reqwest::Client,
    server: &TestServer,
    question: &str,
    version: u32,
    text: &str,
) -> anyhow::Result<(u16, String)> {
    let version = version.to_string();
    post(
        client,
        server,
        "quiz-answer",
        &[
            ("question_id", question),
            ("version", &version),
            ("answer", text),
        ],
    )
    .await
}

/// A wrong answer of the right shape, derived from the question itself.
fn wrong_answer(question: &Question) -> anyhow::Result<String> {
    let text = match &question.kind {
        QuestionKind::Single { choices, answer } | QuestionKind::Scenario { choices, answer } => {
            ((answer + 1) % choices.len()).to_string()
        }
        QuestionKind::Multiple { choices, answers } => {
            let others: Vec<String> = (0..choices.len())
                .filter(|i| !answers.contains(i))
                .map(|i| i.to_string())
                .collect();
            ensure!(!others.is_empty(), "{}: every choice is right", question.id);
            others.join(",")
        }
        // Rotated by one: no item in its place.
        QuestionKind::Order { items } => (0..items.len())
            .map(|i| ((i + 1) % items.len()).to_string())
            .collect::<Vec<_>>()
            .join(","),
        QuestionKind::Fill { .. } => "no idea at all".to_owned(),
        QuestionKind::SpotTheBug { code, bug_line } => {
            let lines = code.lines().count();
            ensure!(lines > 1, "{}: one-line manifest", question.id);
            (bug_line % lines + 1).to_string()
        }
        QuestionKind::Explain { .. } => "I am not sure, sorry.".to_owned(),
    };
    Ok(text)
}

fn json(body: &str) -> anyhow::Result<Value> {
    serde_json::from_str(body).with_context(|| format!("not JSON: {body}"))
}

#[tokio::test]
async fn every_quiz_scores_full_marks_when_right_and_zero_when_wrong() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let right_learner = client()?;
    let wrong_learner = client()?;
    let mut asked = 0;
    for lesson in server.catalog.lessons() {
        let quiz = lesson.quiz.as_ref().context("every part has a quiz")?;
        let (mut last_right, mut last_wrong) = (Value::Null, Value::Null);
        for question in &quiz.questions {
            asked += 1;
            let right = Answer::right_answer(question).to_form_text();
            let (status, body) =
                answer(&right_learner, &server, &question.id, quiz.version, &right).await?;
            ensure!(status == 200, "{}: {status} {body}", question.id);
            let reply = json(&body)?;
            ensure!(
                reply["feedback"]["correct"] == true && reply["feedback"]["percent"] == 100,
                "{} right answer scored {reply}",
                question.id
            );
            last_right = reply;

            let wrong = wrong_answer(question)?;
            let (status, body) =
                answer(&wrong_learner, &server, &question.id, quiz.version, &wrong).await?;
            ensure!(status == 200, "{}: {status} {body}", question.id);
            let reply = json(&body)?;
            ensure!(
                reply["feedback"]["correct"] == false && reply["feedback"]["percent"] == 0,
                "{} wrong answer `{wrong}` scored {reply}",
                question.id
            );
            last_wrong = reply;
        }
        ensure!(
            last_right["quiz_percent"] == 100 && last_right["best_percent"] == 100,
            "{}: {last_right}",
            lesson.slug
        );
        ensure!(
            last_wrong["quiz_percent"] == 0,
            "{}: {last_wrong}",
            lesson.slug
        );
    }
    ensure!(asked >= 144, "only {asked} questions");

    // The home page shows the scores per part.
    let home = right_learner
        .get(server.url("/"))
        .send()
        .await?
        .text()
        .await?;
    ensure!(
        home.matches("Quiz 100%").count() == 18,
        "every part at 100%"
    );
    let home = wrong_learner
        .get(server.url("/"))
        .send()
        .await?
        .text()
        .await?;
    ensure!(home.matches("Quiz 0%").count() == 18, "every part at 0%");
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn bad_answers_are_refused_cleanly_and_learner_text_is_escaped() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = client()?;
    let lesson = server.catalog.get("07-statefulsets").context("lesson 7")?;
    let quiz = lesson.quiz.as_ref().context("quiz")?;
    let find = |f: fn(&QuestionKind) -> bool| {
        quiz.questions
            .iter()
            .find(|q| f(&q.kind))
            .context("question of that kind")
    };
    let single = find(|k| matches!(k, QuestionKind::Single { .. }))?;

    let (status, body) = answer(&client, &server, "no-such-question", quiz.version, "0").await?;
    ensure!(
        status == 404 && body.contains("no question has the id `no-such-question`"),
        "{status} {body}"
    );

    let (status, body) = answer(&client, &server, &single.id, quiz.version + 1, "0").await?;
    ensure!(
        status == 409 && body.contains("has changed"),
        "{status} {body}"
    );

    for bad in ["abc", "99", "", "-1"] {
        let (status, body) = answer(&client, &server, &single.id, quiz.version, bad).await?;
        ensure!(status == 400, "`{bad}`: {status} {body}");
    }
    let (status, _) = post(
        &client,
        &server,
        "quiz-answer",
        &[
            ("question_id", &single.id),
            ("version", "x"),
            ("answer", "0"),
        ],
    )
    .await?;
    ensure!(status == 400, "a version that is not a number: {status}");

    // Free text: too long is refused, and markup is shown as text.
    let explain = server
        .catalog
        .lessons()
        .iter()
        .flat_map(|l| {
            l.quiz
                .iter()
                .flat_map(move |q| q.questions.iter().map(move |x| (l, q, x)))
        })
        .find(|(_, _, q)| matches!(q.kind, QuestionKind::Explain { .. }))
        .context("an explain question")?;
    let (explain_lesson, explain_quiz, explain_question) = explain;
    let long = "x".repeat(2_001);
    let (status, body) = answer(
        &client,
        &server,
        &explain_question.id,
        explain_quiz.version,
        &long,
    )
    .await?;
    ensure!(
        status == 400 && body.contains("at most 2000"),
        "{status} {body}"
    );
    let markup = "<script>alert('owned')</script><b>bold</b>";
    let (status, body) = answer(
        &client,
        &server,
        &explain_question.id,
        explain_quiz.version,
        markup,
    )
    .await?;
    ensure!(status == 200, "{status} {body}");
    let page = client
        .get(server.url(&format!("/lessons/{}/quiz", explain_lesson.slug)))
        .send()
        .await?
        .text()
        .await?;
    ensure!(
        page.contains("&lt;script&gt;alert(") && page.contains("&lt;b&gt;bold"),
        "the answer is shown escaped"
    );
    ensure!(
        !page.contains("<script>alert(") && !page.contains("<b>bold"),
        "the answer is never markup"
    );
    server.stop().await;
    Ok(())
}

async fn interview_state(client: &reqwest::Client, server: &TestServer) -> anyhow::Result<Value> {
    let (status, body) = post(client, server, "interview", &[]).await?;
    ensure!(status == 200, "{status} {body}");
    json(&body)
}

#[tokio::test]
async fn an_interview_session_resumes_and_ends_with_topic_scores() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = client()?;
    ensure!(
        interview_state(&client, &server)
            .await?
            .get("Setup")
            .is_some()
    );

    let (status, body) = post(
        &client,
        &server,
        "interview-start",
        &[
            ("parts[]", ""),
            ("parts[]", "05-headless-services"),
            ("count", "3"),
            ("minutes", "5"),
            ("say_it_back", "true"),
        ],
    )
    .await?;
    ensure!(status == 200, "{status} {body}");

    let mut asked = Vec::new();
    for position in 0..4 {
        let state = interview_state(&client, &server).await?;
        let running = &state["Running"];
        ensure!(running["position"] == position, "{state}");
        ensure!(
            running["total"] == 4,
            "3 questions and the say-it-back: {state}"
        );
        let seconds = running["seconds_left"].as_i64().unwrap_or(0);
        ensure!((1..=300).contains(&seconds), "{seconds}");
        let id = running["question"]["id"]
            .as_str()
            .context("question id")?
            .to_owned();
        let (_, question) = server.catalog.question(&id).context("known question")?;
        if position < 3 {
            ensure!(id.starts_with("p05-"), "drawn from part 5: {id}");
        } else {
            ensure!(
                id.starts_with("p18-explain"),
                "the say-it-back comes last: {id}"
            );
        }
        // No feedback while running.
        ensure!(!state.to_string().contains("explanation"), "{state}");
        // Right for the first two, wrong for the rest.
        let text = if position < 2 {
            Answer::right_answer(question).to_form_text()
        } else {
            wrong_answer(question)?
        };
        let position_text = position.to_string();
        let session = running["session_id"]
            .as_str()
            .context("session id")?
            .to_owned();
        let form = [
            ("session_id", session.as_str()),
            ("position", position_text.as_str()),
            ("answer", text.as_str()),
        ];
        let (status, body) = post(&client, &server, "interview-answer", &form).await?;
        ensure!(status == 200, "{status} {body}");
        // A double submit (e.g. a reload that re-posts) changes nothing.
        let (status, _) = post(&client, &server, "interview-answer", &form).await?;
        ensure!(status == 200);
        asked.push(id);
    }

    let state = interview_state(&client, &server).await?;
    let Some(results) = state.get("Results") else {
        bail!("results after the last answer: {state}");
    };
    ensure!(
        results["answered"] == 4 && results["total"] == 4,
        "{results}"
    );
    ensure!(results["percent"] == 50, "two of four right: {results}");
    let topics = results["topics"].as_array().context("topics")?;
    ensure!(topics.len() == 2, "parts 5 and 18: {results}");
    let weakest = results["weakest"].as_array().context("weakest")?;
    ensure!(
        weakest
            .first()
            .is_some_and(|t| t["number"] == 18 && t["percent"] == 0),
        "the missed say-it-back is the weakest topic: {results}"
    );

    // Answers to another session or after the end are refused or ignored.
    let (status, body) = post(
        &client,
        &server,
        "interview-answer",
        &[("session_id", "nope"), ("position", "0"), ("answer", "0")],
    )
    .await?;
    ensure!(status == 404, "{status} {body}");
    let (status, body) = post(
        &client,
        &server,
        "interview-start",
        &[
            ("parts[]", "99-nope"),
            ("count", "3"),
            ("minutes", "5"),
            ("say_it_back", "false"),
        ],
    )
    .await?;
    ensure!(status == 404 && body.contains("99-nope"), "{status} {body}");
    let (status, body) = post(
        &client,
        &server,
        "interview-start",
        &[
            ("parts[]", ""),
            ("count", "500"),
            ("minutes", "5"),
            ("say_it_back", "false"),
        ],
    )
    .await?;
    ensure!(status == 400, "{status} {body}");
    server.stop().await;
    Ok(())
}

/// Without JS, checkboxes and ordering send `picks[]` fields, and the ordering buttons reload
/// the page with `?order=<id>:<indices>`; both reach the same scorer.
#[tokio::test]
async fn checkbox_and_ordering_forms_work_without_javascript() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = client()?;
    let lesson = server.catalog.get("07-statefulsets").context("lesson 7")?;
    let quiz = lesson.quiz.as_ref().context("quiz")?;
    let version = quiz.version.to_string();
    for question in &quiz.questions {
        let right = match &question.kind {
            QuestionKind::Multiple { .. } | QuestionKind::Order { .. } => {
                Answer::right_answer(question).to_form_text()
            }
            _ => continue,
        };
        let mut form = vec![
            ("question_id", question.id.as_str()),
            ("version", version.as_str()),
            ("answer", ""),
        ];
        form.extend(right.split(',').map(|pick| ("picks[]", pick)));
        let (status, body) = post(&client, &server, "quiz-answer", &form).await?;
        ensure!(status == 200, "{}: {status} {body}", question.id);
        ensure!(
            json(&body)?["feedback"]["correct"] == true,
            "{}: {body}",
            question.id
        );
    }
    // No picks and no answer is an empty answer, refused.
    let multiple = quiz
        .questions
        .iter()
        .find(|q| matches!(q.kind, QuestionKind::Multiple { .. }))
        .context("a multiple-choice question")?;
    let (status, body) = post(
        &client,
        &server,
        "quiz-answer",
        &[
            ("question_id", &multiple.id),
            ("version", &version),
            ("answer", ""),
        ],
    )
    .await?;
    ensure!(status == 400 && body.contains("empty"), "{status} {body}");

    // The ordering buttons' GET reload shows the requested order; a bad order is ignored.
    let order = quiz
        .questions
        .iter()
        .find(|q| matches!(q.kind, QuestionKind::Order { .. }))
        .context("an order question")?;
    let QuestionKind::Order { items } = &order.kind else {
        bail!("not an order question");
    };
    let wanted: Vec<String> = (0..items.len()).rev().map(|i| i.to_string()).collect();
    let page = client
        .get(server.url(&format!(
            "/lessons/{}/quiz?order={}:{}",
            lesson.slug,
            order.id,
            wanted.join(",")
        )))
        .send()
        .await?
        .text()
        .await?;
    let card = page
        .split(&format!("id=\"q-{}\"", order.id))
        .nth(1)
        .and_then(|rest| rest.split("</article>").next())
        .context("the order question's card")?;
    let shown: Vec<&str> = card
        .split("name=\"picks[]\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    ensure!(shown == wanted, "shown {shown:?}, wanted {wanted:?}");
    ensure!(
        card.contains(&format!(
            "action=\"/lessons/{}/quiz#q-{}\"",
            lesson.slug, order.id
        )) || card.contains(&format!(
            "formaction=\"/lessons/{}/quiz#q-{}\"",
            lesson.slug, order.id
        )),
        "the buttons reload this page"
    );
    server.stop().await;
    Ok(())
}

/// A question answered wrongly two days ago is due: the home page counts it, the review page
/// asks it, and a right answer moves it to a later box (no longer due).
#[tokio::test]
async fn wrong_answers_come_back_for_review_when_due() -> anyhow::Result<()> {
    use kubedojo_progress::{AnswerRecord, LearnerId, ProgressStore};

    let server = TestServer::start().await?;
    // A client without a cookie store, so the learner id can be read and sent by hand.
    let plain = reqwest::Client::builder().timeout(TIMEOUT).build()?;
    let first = plain.get(server.url("/")).send().await?;
    let learner_cookie = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find_map(|c| c.strip_prefix("kubedojo_learner="))
        .and_then(|c| c.split(';').next())
        .context("learner cookie")?
        .to_owned();
    let learner: LearnerId = kubedojo_tests::learner_of_cookie(&learner_cookie).parse()?;
    let cookie = format!("kubedojo_learner={learner_cookie}");

    // The catalog outlives the first server (it is restarted below).
    let catalog = server.catalog.clone();
    let lesson = catalog.get("05-headless-services").context("lesson 5")?;
    let quiz = lesson.quiz.as_ref().context("quiz")?;
    let question = &quiz.questions[0];

    // Answered wrongly two days ago (written to the database while the server is down).
    let db = server.stop().await;
    {
        let store = ProgressStore::open(&db.path().join("kubedojo.db"))?;
        let record = AnswerRecord {
            lesson_slug: lesson.slug.clone(),
            question_id: question.id.clone(),
            quiz_version: quiz.version,
            answer: wrong_answer(question)?,
            correct: false,
            percent: 0,
        };
        store.record_answer(
            learner,
            &record,
            chrono::Utc::now() - chrono::Duration::days(2),
        )?;
    }
    let server = TestServer::start_with_db(db).await?;
    let get = |path: &str| {
        plain
            .get(server.url(path))
            .header("cookie", cookie.clone())
            .send()
    };
    let home = get("/").await?.text().await?;
    ensure!(
        home.contains("1 question due for review"),
        "home counts the due question"
    );
    let review = get("/review").await?.text().await?;
    ensure!(
        review.contains("1 question due") && review.contains(&format!("id=\"q-{}\"", question.id)),
        "the review page asks it"
    );

    let version = quiz.version.to_string();
    let right = Answer::right_answer(question).to_form_text();
    let response = plain
        .post(server.url("/api/quiz-answer"))
        .header("cookie", cookie.clone())
        .header("accept", "application/json")
        .form(&[
            ("question_id", question.id.as_str()),
            ("version", version.as_str()),
            ("answer", right.as_str()),
        ])
        .send()
        .await?;
    ensure!(response.status() == 200, "{}", response.text().await?);
    let home = get("/").await?.text().await?;
    ensure!(
        home.contains("No questions due for review"),
        "moved to box 2"
    );
    let review = get("/review").await?.text().await?;
    ensure!(review.contains("Nothing is due for review"));
    server.stop().await;
    Ok(())
}
