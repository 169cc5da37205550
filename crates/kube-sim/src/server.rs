//! The network front: TCP (+TLS) listener, bearer-token authentication, fault injection and
//! graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::FaultAction;
use crate::sim::Sim;
use crate::status::ApiError;
use crate::web::{self, Body, Request};

/// Error returned to hyper to drop a connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

const MAX_BODY: usize = 64 << 20;

fn log_enabled() -> bool {
    std::env::var_os("KUBE_SIM_LOG").is_some()
}

async fn serve_one(
    sim: Arc<Sim>,
    req: hyper::Request<Incoming>,
    address: Arc<String>,
) -> Result<Response<Body>, Dropped> {
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !sim.token.is_empty() && t.trim() == sim.token)
        // Like the API server's former insecure port, plain HTTP skips authentication.
        || sim.config.plain_http;
    if !authorized {
        return Ok(web::error(&ApiError::unauthorized()));
    }
    let path = req.uri().path().to_string();
    sim.traffic.request(req.method().as_str(), &path);
    let (latency, action) = sim.faults.decide(crate::api::group_of(&path));
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match action {
        FaultAction::Pass => {}
        FaultAction::Drop => return Err(Dropped),
        FaultAction::Unavailable => {
            let mut e = ApiError::new(
                503,
                "ServiceUnavailable",
                "the server is currently unable to handle the request",
            );
            e.retry_after = Some(1);
            return Ok(web::error(&e));
        }
        FaultAction::Throttle => {
            let mut e = ApiError::new(
                429,
                "TooManyRequests",
                "the server has received too many requests and has asked us to try again later",
            );
            e.retry_after = Some(1);
            return Ok(web::error(&e));
        }
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let accept = header("accept");
    let content_type = header("content-type");
    let user_agent = header("user-agent");
    let method = req.method().clone();
    let query = web::parse_query(req.uri().query());
    let body = match http_body_util::Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(web::error(&ApiError::new(
                413,
                "RequestEntityTooLarge",
                "the request body is too large",
            )))
        }
    };
    let request = Request {
        method,
        path,
        query,
        accept,
        content_type,
        user_agent,
        body,
    };
    let log = log_enabled().then(|| {
        format!(
            "{} {}?{:?} [{}] ct={} accept={}",
            request.method,
            request.path,
            request.query,
            request.user_agent,
            request.content_type,
            request.accept
        )
    });
    let resp = crate::api::handle(sim, request, address.to_string()).await;
    if let Some(l) = log {
        eprintln!("kube-sim: {l} -> {}", resp.status());
    }
    Ok(resp)
}

/// Accepts connections until `stop` flips; then closes all of them.
pub async fn run(
    sim: Arc<Sim>,
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    mut stop: watch::Receiver<bool>,
) {
    let address = Arc::new(
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
    );
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let Ok((stream, _peer)) = accepted else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        sim.traffic.connection();
        let sim = sim.clone();
        let acceptor = acceptor.clone();
        let address = address.clone();
        conns.spawn(async move {
            let svc = service_fn(move |req| serve_one(sim.clone(), req, address.clone()));
            let builder = hyper::server::conn::http1::Builder::new();
            match acceptor {
                Some(acc) => {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(Duration::from_secs(10), acc.accept(stream)).await
                    else {
                        return;
                    };
                    let _ = builder.serve_connection(TokioIo::new(tls), svc).await;
                }
                None => {
                    let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                }
            }
        });
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}
