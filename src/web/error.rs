//! What a request can fail with, as the API answers it (JSON) and as a page shows it (HTML):
//! an unknown map or player is a 404 with suggestions, a bad parameter a 400, a database
//! problem a 503 or 500 whose detail goes to the log only.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tracing::error;

use crate::store::StoreError;

#[derive(Debug)]
pub enum WebError {
    /// Nothing by that name: what was asked for, and the closest names there are.
    NotFound {
        what: String,
        suggestions: Vec<Suggestion>,
    },
    /// A parameter that cannot be used, with why.
    BadRequest(String),
    /// The database failed; the detail is logged.
    Internal(anyhow::Error),
}

/// A name to offer instead, with the page it leads to.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Suggestion {
    pub name: String,
    pub href: String,
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Internal(e.into())
    }
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> Self {
        WebError::Internal(e)
    }
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound { .. } => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Internal(e) if unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The sentence shown to the visitor.
    pub fn message(&self) -> String {
        match self {
            WebError::NotFound { what, .. } => format!("No {what}."),
            WebError::BadRequest(m) => m.clone(),
            WebError::Internal(e) if unavailable(e) => {
                "The database is unavailable or busy right now. Try again in a minute.".into()
            }
            WebError::Internal(_) => {
                "Something went wrong while answering. The details are in the server's log.".into()
            }
        }
    }

    pub fn suggestions(&self) -> &[Suggestion] {
        match self {
            WebError::NotFound { suggestions, .. } => suggestions,
            _ => &[],
        }
    }

    fn log(&self) {
        if let WebError::Internal(e) = self {
            error!("web request failed: {e:#}");
        }
    }
}

fn unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<StoreError>()
            .is_some_and(|s| s.is_unavailable() || s.is_timeout())
    })
}

/// The API's form: `{"error": …, "suggestions": [{"name", "href"}]}`.
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let body = json!({"error": self.message(), "suggestions": self.suggestions()});
        (self.status(), Json(body)).into_response()
    }
}

/// A page's form of a [`WebError`].
#[derive(Debug)]
pub struct PageError(pub WebError);

impl From<WebError> for PageError {
    fn from(e: WebError) -> Self {
        PageError(e)
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        (status, super::pages::error_page(&self.0)).into_response()
    }
}
