//! Suites: check a text, save a version, list and read the caller's, and run one (sent or stored).

use super::{audit, current_user, fail, internal, non_empty, runner, runs::run_error, state};
use crate::{
    api::ApiError,
    auth::AuthUser,
    import::{import, to_yaml, ImportError},
    protocol::{
        api::{ImportPreview, SuiteDetail, SuiteInfo, SuiteProblem, SuiteSaved},
        RunSnapshot,
    },
    runs::Start,
    suite::{parse_suite, SuiteSource},
};

pub async fn run_suite(
    text: String,
    room: Option<String>,
    environment: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    let user = runner().await?;
    let source = SuiteSource {
        suite_id: None,
        suite_version: None,
        text,
        environment,
        variables: Default::default(),
    };
    start(&user, source, room).await
}

pub async fn run_saved_suite(
    id: i64,
    version: Option<i64>,
    environment: Option<String>,
    room: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    let user = runner().await?;
    let state = state()?;
    let (info, text, _) = state
        .store
        .suite_version(user.id, id, version)
        .await
        .map_err(|e| internal("reading a suite failed", e))?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    // A run of a suite shared into one of the caller's rooms goes to that room, unless another is
    // chosen.
    let room = match non_empty(room) {
        Some(room) => Some(room),
        None => state
            .runs
            .room_for_suite(user.id, info.rooms)
            .await
            .map_err(|e| fail(run_error(e)))?,
    };
    let source = SuiteSource {
        suite_id: Some(id),
        suite_version: Some(info.version),
        text,
        environment: non_empty(environment),
        variables: Default::default(),
    };
    start(&user, source, room).await
}

/// Validates and starts a suite run; the browser is sent to the run's page.
async fn start(
    user: &AuthUser,
    source: SuiteSource,
    room: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    let state = state()?;
    let what = source
        .suite_id
        .map_or_else(|| "a sent suite".to_owned(), |id| format!("suite {id}"));
    let snapshot = state
        .runs
        .start(user, Start::Suite(source), non_empty(room))
        .await
        .map_err(|e| fail(run_error(e)))?;
    let target = Some(format!("run {}", snapshot.test_id));
    audit(
        &state,
        Some(user),
        &user.username,
        "run_start",
        target,
        Some(what),
    )
    .await;
    leptos_axum::redirect(&format!("/runs/{}", snapshot.test_id));
    Ok(snapshot)
}

pub async fn check_suite(text: String) -> Result<Vec<SuiteProblem>, ApiError> {
    current_user().await?;
    let problems = parse_suite(&text).err().unwrap_or_default();
    Ok(super::said(crate::i18n::request_lang(), problems))
}

pub async fn import_suite(text: String) -> Result<ImportPreview, ApiError> {
    runner().await?;
    let imported = import(&text).map_err(|e| {
        fail(match e {
            ImportError::TooLarge => ApiError::TooLarge,
            e => ApiError::BadRequest(e.to_string()),
        })
    })?;
    let yaml = to_yaml(&imported.suite);
    let lang = crate::i18n::request_lang();
    let problems = super::said(lang, parse_suite(&yaml).err().unwrap_or_default());
    Ok(ImportPreview {
        format: imported.format.to_owned(),
        name: imported.suite.name,
        steps: imported.suite.steps.len(),
        yaml,
        notes: imported.notes.iter().map(|n| lang.say_note(n)).collect(),
        problems,
    })
}

pub async fn save_suite(id: Option<i64>, text: String) -> Result<SuiteSaved, ApiError> {
    let user = runner().await?;
    let state = state()?;
    let suite = parse_suite(&text).map_err(|errors| fail(ApiError::InvalidSuite(errors)))?;
    match state
        .store
        .save_suite(user.id, id, &suite.name, &text)
        .await
    {
        Ok(Some((id, version))) => {
            let target = Some(format!("suite {id}"));
            let detail = Some(format!("{} v{version}", suite.name));
            audit(
                &state,
                Some(&user),
                &user.username,
                "suite_save",
                target,
                detail,
            )
            .await;
            // The browser goes to the saved (newest) version in the editor.
            leptos_axum::redirect(&format!("/suites/{id}"));
            Ok(SuiteSaved { id, version })
        }
        Ok(None) => Err(fail(ApiError::NotFound)),
        Err(e) => Err(internal("saving a suite failed", e)),
    }
}

pub async fn list_suites() -> Result<Vec<SuiteInfo>, ApiError> {
    let user = current_user().await?;
    state()?
        .store
        .suites_of(user.id)
        .await
        .map_err(|e| internal("listing suites failed", e))
}

pub async fn suite_template() -> Result<String, ApiError> {
    current_user().await?;
    let base = state()?.runs.app_url().to_owned();
    Ok(format!(
        "name: My API check
variables:
  base: {base}
steps:
  - name: Health
    url: ${{base}}/demo/health
    checks:
      status: 200
      json:
        - {{ path: \"$.status\", equals: ok }}
"
    ))
}

pub async fn get_suite(id: i64, version: Option<i64>) -> Result<SuiteDetail, ApiError> {
    let user = current_user().await?;
    let (info, text, versions) = state()?
        .store
        .suite_version(user.id, id, version)
        .await
        .map_err(|e| internal("reading a suite failed", e))?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    // Stored texts were valid when saved.
    let parsed = parse_suite(&text).ok();
    Ok(SuiteDetail {
        environments: parsed
            .as_ref()
            .map(|s| s.environments.keys().cloned().collect())
            .unwrap_or_default(),
        load: parsed.is_some_and(|s| s.load.is_some()),
        info,
        text,
        versions,
    })
}

pub async fn share_suite(id: i64, room: String, shared: bool) -> Result<(), ApiError> {
    let user = runner().await?;
    let state = state()?;
    let done = state
        .store
        .share_suite(user.id, id, &room, shared)
        .await
        .map_err(|e| internal("sharing a suite failed", e))?;
    if !done {
        return Err(fail(ApiError::NotFound));
    }
    let action = if shared {
        "suite_share"
    } else {
        "suite_unshare"
    };
    let detail = Some(format!("room {room}"));
    audit(
        &state,
        Some(&user),
        &user.username,
        action,
        Some(format!("suite {id}")),
        detail,
    )
    .await;
    Ok(())
}
