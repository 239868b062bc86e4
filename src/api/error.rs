//! The one error type of the server functions, and how it reads on the wire.

use serde::{Deserialize, Serialize};

use crate::protocol::api::SuiteProblem;

/// What a server function can fail with, as the user sees it. On the wire (the body of a failed
/// call, with the status of `ApiError::status`) it reads `{"code": "unauthorized", "error": "please
/// sign in"}`, as the REST API's errors do (the private `Wire` below).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "Wire", from = "Wire")]
pub enum ApiError {
    #[error("please sign in")]
    Unauthorized,
    #[error("wrong username or password")]
    BadCredentials,
    /// Signed in, but the role or token does not allow it.
    #[error("you are not allowed to do that")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("something went wrong on the server; please try again")]
    Internal,
    /// A suite was refused; each problem says where (field path, line) and why.
    #[error("the suite is invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidSuite(Vec<SuiteProblem>),
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts; try again in {0} s")]
    RateLimited(u64),
    /// The request is larger than the server accepts.
    #[error("the request is too large")]
    TooLarge,
    /// The server is overloaded for the moment.
    #[error("the server is busy; try again shortly")]
    Busy,
    /// The call did not reach the server or its answer was unreadable.
    #[error("could not reach the server ({0})")]
    Transport(String),
}

#[cfg(feature = "ssr")]
impl ApiError {
    /// The HTTP status API clients see.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode as S;
        match self {
            ApiError::Unauthorized | ApiError::BadCredentials => S::UNAUTHORIZED,
            ApiError::Forbidden => S::FORBIDDEN,
            ApiError::NotFound => S::NOT_FOUND,
            ApiError::BadRequest(_) | ApiError::InvalidSuite(_) => S::BAD_REQUEST,
            ApiError::RateLimited(_) => S::TOO_MANY_REQUESTS,
            ApiError::TooLarge => S::PAYLOAD_TOO_LARGE,
            ApiError::Busy => S::SERVICE_UNAVAILABLE,
            ApiError::Internal | ApiError::Transport(_) => S::INTERNAL_SERVER_ERROR,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for ApiError {
    type Encoder = super::codec::JsonText;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        let err = match value {
            // A body over the limit, read as a stream (a declared length over it never gets here).
            E::Deserialization(m) | E::Args(m) if m.contains("length limit exceeded") => {
                ApiError::TooLarge
            }
            E::Args(m) | E::MissingArg(m) => ApiError::BadRequest(m),
            E::ServerError(_) | E::MiddlewareError(_) | E::Registration(_) => ApiError::Internal,
            other => ApiError::Transport(other.to_string()),
        };
        #[cfg(feature = "ssr")]
        super::ssr::set_status(&err);
        err
    }
}

/// Which [`ApiError`] it is, for programs: the `code` of a failed call's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Code {
    Unauthorized,
    BadCredentials,
    Forbidden,
    NotFound,
    BadRequest,
    Internal,
    InvalidSuite,
    RateLimited,
    TooLarge,
    Busy,
    Transport,
}

/// A failed call's body: the `code`, the sentence to show (`error`), and what some codes carry.
#[derive(Serialize, Deserialize)]
struct Wire {
    code: Code,
    error: String,
    /// `invalid_suite`: each problem, with its field path and line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    problems: Vec<SuiteProblem>,
    /// `rate_limited`: seconds to wait (also the `Retry-After` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_s: Option<u64>,
}

impl From<ApiError> for Wire {
    fn from(err: ApiError) -> Self {
        let error = err.to_string();
        let (code, problems, retry_after_s) = match err {
            ApiError::Unauthorized => (Code::Unauthorized, vec![], None),
            ApiError::BadCredentials => (Code::BadCredentials, vec![], None),
            ApiError::Forbidden => (Code::Forbidden, vec![], None),
            ApiError::NotFound => (Code::NotFound, vec![], None),
            ApiError::BadRequest(_) => (Code::BadRequest, vec![], None),
            ApiError::Internal => (Code::Internal, vec![], None),
            ApiError::InvalidSuite(problems) => (Code::InvalidSuite, problems, None),
            ApiError::RateLimited(secs) => (Code::RateLimited, vec![], Some(secs)),
            ApiError::TooLarge => (Code::TooLarge, vec![], None),
            ApiError::Busy => (Code::Busy, vec![], None),
            ApiError::Transport(_) => (Code::Transport, vec![], None),
        };
        Wire {
            code,
            error,
            problems,
            retry_after_s,
        }
    }
}

impl From<Wire> for ApiError {
    fn from(wire: Wire) -> Self {
        match wire.code {
            Code::Unauthorized => ApiError::Unauthorized,
            Code::BadCredentials => ApiError::BadCredentials,
            Code::Forbidden => ApiError::Forbidden,
            Code::NotFound => ApiError::NotFound,
            Code::BadRequest => ApiError::BadRequest(wire.error),
            Code::Internal => ApiError::Internal,
            Code::InvalidSuite => ApiError::InvalidSuite(wire.problems),
            Code::RateLimited => ApiError::RateLimited(wire.retry_after_s.unwrap_or(1)),
            Code::TooLarge => ApiError::TooLarge,
            Code::Busy => ApiError::Busy,
            // The sentence is "could not reach the server (…)": keep what is in the brackets.
            Code::Transport => ApiError::Transport(
                wire.error
                    .strip_prefix("could not reach the server (")
                    .and_then(|rest| rest.strip_suffix(')'))
                    .map_or(wire.error.clone(), str::to_owned),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_reads_back_as_itself() {
        let all = [
            ApiError::Unauthorized,
            ApiError::BadCredentials,
            ApiError::Forbidden,
            ApiError::NotFound,
            ApiError::BadRequest("missing field `password`".into()),
            ApiError::Internal,
            ApiError::InvalidSuite(vec![SuiteProblem::new("steps[0].url", "not a URL")]),
            ApiError::RateLimited(30),
            ApiError::TooLarge,
            ApiError::Busy,
            ApiError::Transport("timed out".into()),
        ];
        for err in all {
            let json = serde_json::to_string(&err).unwrap();
            let back: ApiError = serde_json::from_str(&json).unwrap();
            assert_eq!(back, err, "{json}");
        }
    }

    #[test]
    fn a_body_names_the_code_and_the_sentence() {
        let json = serde_json::to_value(ApiError::Unauthorized).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "code": "unauthorized", "error": "please sign in" })
        );
        let json = serde_json::to_value(ApiError::RateLimited(7)).unwrap();
        assert_eq!(json["code"], "rate_limited");
        assert_eq!(json["retry_after_s"], 7);
        assert_eq!(json["error"], "too many attempts; try again in 7 s");
    }
}
