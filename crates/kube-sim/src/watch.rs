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
use crate::store::{EventType, WatchEvent};
use crate::web::{self, Body, Request};

struct Filter {
    rt: Arc<ResourceType>,
    ns: Option<String>,
    labels: Selector,
    fields: Selector,
}

impl Filter {
    fn selects(&self, obj: &Value) -> bool {
        self.labels.matches_labels(obj) && self.fields.matches_fields(obj)
    }

    /// The event as this watch sees it, as the API server's watch cache does: a modified
    /// object entering the selection is ADDED, one leaving it is DELETED (with its previous
    /// content at the new resourceVersion).
    fn view(&self, ev: &WatchEvent) -> Option<(&'static str, Value)> {
        if ev.key != self.rt.store_key() || self.ns.as_deref().is_some_and(|ns| ev.namespace != ns)
        {
            return None;
        }
        let now = self.selects(&ev.object);
        let before = ev.prev.as_ref().map(|p| self.selects(p));
        match (ev.kind, before, now) {
            (EventType::Modified, Some(false), true) => Some(("ADDED", ev.object.clone())),
            (EventType::Modified, Some(true), false) => {
                let mut old = ev.prev.clone().unwrap_or_default();
                crate::meta::meta_mut(&mut old)
                    .insert("resourceVersion".into(), json!(ev.rv.to_string()));
                Some(("DELETED", old))
            }
            (_, _, true) => Some((ev.kind.as_str(), ev.object.clone())),
            _ => None,
        }
    }

    fn line(&self, ev: &WatchEvent) -> Option<Bytes> {
        self.view(ev)
            .map(|(kind, obj)| line(kind, &served(&self.rt, &obj)))
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
    crate::read::check_field_selector(&rt, &fields)?;
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
                    Some(evs) => Ok(evs.iter().filter_map(|e| filter.line(e)).collect()),
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
                        if let Some(l) = filter.line(&ev) {
                            if tx.send(l).await.is_err() {
                                return;
                            }
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
