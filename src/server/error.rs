//! Errors of the plain HTTP routes (the WebSocket upgrade, the demo API): each has a status code and
//! a safe public message; the cause goes to the log, never to the client.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};

use crate::{accounts::AuthFailure, auth::AuthError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid session token (missing, malformed, expired, wrong signature or algorithm).
    #[error("authentication required")]
    Unauthorized(#[from] AuthError),
    /// A browser page from another site tried to open a WebSocket.
    #[error("origin not allowed")]
    ForbiddenOrigin,
    /// Signed in, but the role or token does not allow it.
    #[error("not allowed")]
    Forbidden,
    /// The user already has this many sockets open.
    #[error("too many open connections for this user (at most {0})")]
    TooManySockets(usize),
    /// The thing does not exist, or the caller may not see it (the same answer on purpose).
    #[error("not found")]
    NotFound,
    /// The request itself is wrong; the message says how and is safe to show.
    #[error("{0}")]
    BadRequest(String),
    /// The address does not take this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A plain request to the WebSocket's address.
    #[error("this address speaks WebSocket only: send an upgrade request")]
    UpgradeRequired,
    /// The request's body is over the limit for every body.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

impl AppError {
    /// The error's stable name, a body's `code` (the same names as the server functions' errors).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::ForbiddenOrigin | Self::Forbidden => "forbidden",
            Self::TooManySockets(_) => "too_many_connections",
            Self::NotFound => "not_found",
            Self::BadRequest(_) => "bad_request",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UpgradeRequired => "upgrade_required",
            Self::TooLarge(_) => "too_large",
            Self::Database(_) => "internal",
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::ForbiddenOrigin | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::TooManySockets(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::UpgradeRequired => StatusCode::UPGRADE_REQUIRED,
            Self::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            Self::Unauthorized(cause) => tracing::info!(%cause, "refused unauthenticated request"),
            Self::Database(cause) => tracing::error!(%cause, "database error"),
            _ => {}
        }
        let body = Json(serde_json::json!({ "code": self.code(), "error": self.to_string() }));
        (self.status_code(), body).into_response()
    }
}

impl From<AuthFailure> for AppError {
    fn from(e: AuthFailure) -> Self {
        match e {
            AuthFailure::Unauthenticated(e) => AppError::Unauthorized(e),
            AuthFailure::Database(e) => AppError::Database(e),
        }
    }
}
