//! Retries with backoff for the failures a busy or restarting API server
//! gives (429, 503, 504, dropped connections), on idempotent calls only:
//! GET, LIST, server-side apply (a PATCH that says the whole intent) and DELETE.

use backon::{ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;

/// True when repeating the same idempotent call may succeed.
pub fn retryable(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => matches!(s.code, 429 | 503 | 504) || is_etcd_timeout(s),
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

fn is_etcd_timeout(s: &kube::core::Status) -> bool {
    s.code == 500 && s.message.contains("request timed out")
}

/// The server's Retry-After hint, when it gave one.
fn retry_after(e: &kube::Error) -> Option<Duration> {
    match e {
        kube::Error::Api(s) => s
            .details
            .as_ref()
            .map(|d| d.retry_after_seconds)
            .filter(|s| *s > 0)
            .map(|s| Duration::from_secs(u64::from(s))),
        _ => None,
    }
}

/// Runs an idempotent call, retrying retryable failures with exponential
/// backoff and jitter (at most 8 attempts over about 15 seconds), honouring
/// the server's Retry-After.
pub async fn idempotent<T, F, Fut>(call: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    call.retry(
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(Duration::from_secs(4))
            .with_max_times(8)
            .with_jitter(),
    )
    .when(retryable)
    .adjust(|e, d| retry_after(e).or(d))
    .await
}

/// Like [`idempotent`], but for a first contact that must answer quickly
/// either way: at most 4 attempts within about a second, so that a dropped
/// connection is retried while a server that is down is reported at once.
pub async fn probe<T, F, Fut>(call: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    call.retry(
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(400))
            .with_max_times(3),
    )
    .when(retryable)
    .await
}

/// A kube error in an operator's words.
pub fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => {
            let reason = if s.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.reason)
            };
            format!("{} {}{reason}", s.code, s.message.trim())
        }
        kube::Error::HyperError(h) => format!("connection failed: {h}"),
        kube::Error::Service(s) => {
            let mut msg = s.to_string();
            let mut src = std::error::Error::source(s.as_ref());
            while let Some(inner) = src {
                msg = format!("{msg}: {inner}");
                src = inner.source();
            }
            format!("connection failed: {msg}")
        }
        other => other.to_string(),
    }
}

/// The HTTP status of an API error, if it is one.
pub fn status_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}
