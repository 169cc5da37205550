//! Watches: newline-delimited JSON `WatchEvent`s from a resourceVersion onwards.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::Response;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use crate::read::{selectors, served};
use crate::resources::ResourceType;
use crate::selectors::Selector;
use crate::sim::Sim;
use crate::status::{ApiError, ApiResult};
use crate::store::WatchEvent;
use crate::web::{self, Body, Request};

struct Filter {
    rt: Arc<ResourceType>,
    ns: Option<String>,
    labels: Selector,
    fields: Selector,
}

impl Filter {
    fn matches(&self, ev: &WatchEvent) -> bool {
        ev.key == self.rt.store_key()
            && self.ns.as_deref().is_none_or(|ns| ev.namespace == ns)
            && self.labels.matches_labels(&ev.object)
            && self.fields.matches_fields(&ev.object)
    }
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut v = serde_json::to_vec(&json!({ "type": kind, "object": object })).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

/// Starts a watch for `rt` (in namespace `ns`, or all) and returns the streaming response.
pub fn start(
    sim: Arc<Sim>,
    rt: Arc<ResourceType>,
    ns: Option<String>,
    req: &Request,
) -> ApiResult<Response<Body>> {
    let (labels, fields) = selectors(req)?;
    let ns = if rt.namespaced { ns } else { None };
    let filter = Filter {
        rt: rt.clone(),
        ns,
        labels,
        fields,
    };
    let rv_param = req.q("resourceVersion").unwrap_or("").to_string();
    let send_initial = req.q("sendInitialEvents") == Some("true");
    let bookmarks = req.flag("allowWatchBookmarks");
    let timeout = req
        .q("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs);

    let (initial, mut sub, current_rv) = {
        let st = sim.state();
        let sub = st.subscribe();
        let initial: Result<Vec<Bytes>, ApiError> =
            if rv_param.is_empty() || rv_param == "0" || send_initial {
                Ok(crate::read::matching(
                    &st,
                    &rt,
                    filter.ns.as_deref(),
                    &filter.labels,
                    &filter.fields,
                )
                .iter()
                .map(|o| line("ADDED", o))
                .collect())
            } else {
                let rv: u64 = rv_param.parse().map_err(|_| {
                    ApiError::bad_request(format!("invalid resource version {rv_param:?}"))
                })?;
                match st.events_since(rv) {
                    Some(evs) => Ok(evs
                        .iter()
                        .filter(|e| filter.matches(e))
                        .map(|e| line(e.kind.as_str(), &served(&rt, &e.object)))
                        .collect()),
                    None => Err(ApiError::expired(format!(
                        "too old resource version: {rv} ({})",
                        st.rv
                    ))),
                }
            };
        (initial, sub, st.rv)
    };

    let (tx, rx) = mpsc::channel::<Bytes>(256);
    tokio::spawn(async move {
        let initial = match initial {
            Ok(lines) => lines,
            Err(e) => {
                let _ = tx.send(line("ERROR", &e.to_status())).await;
                return;
            }
        };
        for l in initial {
            if tx.send(l).await.is_err() {
                return;
            }
        }
        let mut last_rv = current_rv;
        if send_initial && bookmarks {
            let bm = bookmark(&filter.rt, last_rv, true);
            if tx.send(bm).await.is_err() {
                return;
            }
        }
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let mut ticker = tokio::time::interval(Duration::from_secs(10));
        ticker.tick().await;
        loop {
            let sleep_until = deadline
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400));
            tokio::select! {
                ev = sub.recv() => match ev {
                    Ok(ev) => {
                        last_rv = ev.rv;
                        if filter.matches(&ev) && tx.send(line(ev.kind.as_str(), &served(&filter.rt, &ev.object))).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let e = ApiError::expired("watch fell behind; too old resource version");
                        let _ = tx.send(line("ERROR", &e.to_status())).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = ticker.tick() => {
                    if bookmarks && tx.send(bookmark(&filter.rt, last_rv, false)).await.is_err() {
                        return;
                    }
                }
                _ = tokio::time::sleep_until(sleep_until) => return,
                _ = tx.closed() => return,
            }
        }
    });
    Ok(web::stream(rx))
}

fn bookmark(rt: &ResourceType, rv: u64, initial_end: bool) -> Bytes {
    let mut metadata = json!({ "resourceVersion": rv.to_string() });
    if initial_end {
        metadata["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
    }
    line(
        "BOOKMARK",
        &json!({ "kind": rt.kind, "apiVersion": rt.api_version(), "metadata": metadata }),
    )
}
